"""First run: the study and its administrator together, or neither."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import InputError
from core.store.errors import AuthError
from core.store.firstrun import Custodian, create_study_with_administrator
from core.store.store import Store
from core.store.users import Role

GOOD = {"username": "admin", "full_name": "Ann Admin", "password": "admin-pass-1",
        "protocol_id": "NEW-1", "title": "New study"}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [("protocol_id", ""), ("title", "  "), ("full_name", ""), ("password", "short"), ("username", "")],
)
def test_a_refused_value_creates_neither(tmp_path: Path, field: str, value: str) -> None:
    with Store.open(tmp_path / "new.sqlite3") as store:
        with pytest.raises(InputError) as caught:
            create_study_with_administrator(store, **{**GOOD, field: value})
        assert caught.value.field == field
        assert not store.has_users()
        assert store.studies() == []
        create_study_with_administrator(store, **GOOD)  # corrected: not locked out


def test_both_are_created_with_the_enrolled_categories(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.sqlite3") as store:
        study = create_study_with_administrator(
            store, **GOOD, enrolled_categories=["primary_resistance", "secondary_resistance"]
        )
        assert study.protocol_id == "NEW-1"
        assert json.loads(store.studies()[0].enrolled_categories) == [
            "primary_resistance",
            "secondary_resistance",
        ]
        assert store.authenticate("admin", "admin-pass-1").full_name == "Ann Admin"
        assert store.verify_audit().ok
        with pytest.raises(AuthError):  # only an empty database has a first run
            create_study_with_administrator(store, **{**GOOD, "protocol_id": "NEW-2"})


def test_the_site_ca_is_created_in_the_same_transaction(tmp_path: Path) -> None:
    """The CA, its custodian (another person than the administrator) and the study: together."""
    from cryptography import x509

    from core.store.site_keys import certificate_queue, has_site_ca, issue_certificates, site_certificate_pem

    keeper = Custodian("pia", "Dr. Pia Principal", "pia-own-password-3", "a separate CA passphrase 7")
    refused = (
        (replace(keeper, ca_passphrase=GOOD["password"]), "ca_passphrase"),
        (replace(keeper, ca_passphrase=keeper.password), "ca_passphrase"),
        (replace(keeper, password=GOOD["password"]), "custodian_password"),
        (replace(keeper, username="admin"), "custodian_username"),
        (replace(keeper, full_name=" ann  ADMIN"), "custodian_full_name"),
        (replace(keeper, role=Role.ADMINISTRATOR), "custodian_role"),
        (replace(keeper, full_name=""), "custodian_full_name"),
        (replace(keeper, username="pia pia"), "custodian_username"),
    )
    with Store.open(tmp_path / "new.sqlite3") as store:
        for custodian, field in refused:
            with pytest.raises(InputError) as caught:
                create_study_with_administrator(store, **GOOD, custodian=custodian)
            assert caught.value.field == field
            assert not store.has_users()
            assert not has_site_ca(store)
        create_study_with_administrator(store, **GOOD, site="Clinic North", custodian=keeper)
        assert has_site_ca(store)
        assert store.studies()[0].protocol_id == "NEW-1"
        assert store.verify_audit().ok
        # the custodian typed their own password: no forced change, and their key is certified
        pia = store.authenticate("pia", "pia-own-password-3")
        assert certificate_queue(store) == []
        assert (
            issue_certificates(store, pia, "a separate CA passphrase 7", approved=certificate_queue(store))
            == []
        )
        cert = x509.load_pem_x509_certificate(site_certificate_pem(store).encode())
        assert "Clinic North" in cert.subject.rfc4514_string()
        assert "NEW-1" in cert.subject.rfc4514_string()
