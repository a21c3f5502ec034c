"""Signatures that cannot be forged: sealed keys, a CA under a passphrase, certificates, CRL.

- ``user_account.must_change_password``: existing accounts get 1, because every v1 password
  was typed by an administrator; each user chooses their own at the next sign-in.
- ``user_account.public_key_pem``: the public half of a key pair the user generated, awaiting
  (or holding) a certificate.
- ``certificate``: every certificate the site CA issued, and its revocation.
- ``worksheet.settings_sha256``: the study settings a draft was prepared under.
- The v1 site CA key was stored in clear: it is removed here. The v1 CA certificate is kept as
  ``retired_site_ca_certificate`` (to check old worksheets with ``verify --trust``); an
  administrator creates the new CA, under a passphrase, with ``resistdesk ca init``.

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("public_key_pem", sa.String(), nullable=True))
    with op.batch_alter_table("worksheet") as batch:
        batch.add_column(sa.Column("settings_sha256", sa.String(), nullable=False, server_default=""))
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("serial", sa.String(), nullable=False),
        sa.Column("certificate_pem", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revocation_reason", sa.String(), nullable=False, server_default=""),
    )
    op.create_index("ix_certificate_user_id", "certificate", ["user_id"])
    op.create_index("ix_certificate_serial", "certificate", ["serial"], unique=True)
    meta = sa.table("meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    conn = op.get_bind()
    old = conn.execute(sa.select(meta.c.value).where(meta.c.key == "site_ca_certificate")).scalar()
    if old is not None:
        op.execute(meta.insert().values(key="retired_site_ca_certificate", value=old))
    op.execute(meta.delete().where(meta.c.key.in_(["site_ca_private_key", "site_ca_certificate"])))
    # v1 keys were sealed under administrator-set passwords (PBKDF2, 2,048 rounds): never used again.
    users = sa.table(
        "user_account", sa.column("private_key_pem", sa.String()), sa.column("certificate_pem", sa.String())
    )
    op.execute(users.update().values(private_key_pem=None, certificate_pem=None))


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
