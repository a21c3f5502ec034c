"""The site certificate authority, as its custodian runs it: who awaits a certificate (and
whose key follows an administrator's password reset), the CA passphrase, issue and publish.

An administrator sees the same list but cannot act: the store refuses every CA action to
an administrator account (separation of duties; see ``core.store.site_keys``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.store.site_keys import QueueEntry
from desktop.session import Session
from desktop.widgets.forms import ErrorLabel


class SiteCADialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Site certificate authority")
        self.setMinimumWidth(620)
        self.session = session
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.queue_label = QLabel()
        self.queue_label.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.form = QFormLayout()
        self.form.addRow("CA passphrase", self.passphrase)
        self.form.addRow("Repeat CA passphrase", self.repeat)
        self.error = ErrorLabel()
        self.error.watch({"ca_passphrase": self.passphrase})
        self.act = QPushButton()
        self.act.clicked.connect(self.run)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.buttons.addButton(self.act, QDialogButtonBox.ButtonRole.ActionRole)
        # Enter after typing the passphrase certifies: it used to press Close, and the dialog
        # vanished with nothing certified and not a word said.
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        close.setDefault(False)
        self.act.setAutoDefault(True)
        self.act.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.queue_label)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.last_message = ""
        self.refresh()

    def refresh(self) -> None:
        from cryptography import x509

        from core.store.site_keys import certificate_queue, crl_outdated, has_site_ca, site_certificate_pem
        from core.worksheet.pki import fingerprint

        store, actor = self.session.store, self.session.actor
        self.has_ca = has_site_ca(store)
        admin = self.session.is_admin
        if self.has_ca:
            pem = site_certificate_pem(store)
            subject = x509.load_pem_x509_certificate(pem.encode()).subject
            names = subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            name = str(names[0].value) if names else subject.rfc4514_string()
            crl = "revocations await publishing" if crl_outdated(store) else "current"
            self.summary.setText(
                f"<b>Site CA</b>: {_html(name)}<br>SHA-256 fingerprint: <tt>{fingerprint(pem)}</tt>"
                f"<br>Revocation list: {crl}"
            )
        else:
            self.summary.setText(
                "<b>This study has no site certificate authority yet.</b> Its custodian (an "
                "investigator or coordinator, never an administrator) creates it under a new CA "
                "passphrase that only they keep."
            )
        self.queue = certificate_queue(store) if self.has_ca else []
        self.queue_label.setText(_queue_html(self.queue, actor.username))
        self.repeat.setVisible(not self.has_ca)
        label = self.form.labelForField(self.repeat)
        if label is not None:
            label.setVisible(not self.has_ca)
        self.act.setText(
            "Certify the waiting keys and publish the revocation list"
            if self.has_ca
            else "Create the site CA"
        )
        self.act.setEnabled(not admin)
        self.passphrase.setEnabled(not admin)
        if admin:
            from core.store.site_keys import custodian_names

            keepers = custodian_names(store)
            self.error.show_error(
                None,
                "An administrator cannot run the site certificate authority: its custodian"
                + (f", {keepers}," if keepers else "")
                + " does, so that whoever resets passwords cannot also certify keys.",
            )

    def run(self) -> None:
        passphrase = self.passphrase.text()
        if not self.has_ca and passphrase != self.repeat.text():
            self.error.show_error("ca_passphrase", "the two CA passphrases differ")
            return
        if not passphrase:
            self.error.show_error("ca_passphrase", "is required")
            return
        s, has_ca = self.session, self.has_ca
        flagged = [e for e in self.queue if e.pending and e.reset and e.username != s.actor.username]
        if flagged and not self._confirmed(flagged):
            return
        shown = [e for e in self.queue if e.pending]  # only these keys, as shown: none added since

        def act() -> list[str]:
            from core.store.site_keys import create_site_ca, issue_certificates

            if not has_ca:
                create_site_ca(s.store, s.actor, passphrase, approved=())
                return []
            return issue_certificates(s.store, s.actor, passphrase, approved=shown)

        def done(issued: object) -> None:
            self.passphrase.clear()
            self.repeat.clear()
            names = ", ".join(issued) if isinstance(issued, list) and issued else "none"
            self.last_message = (
                f"Certificates issued: {names}. The revocation list is published."
                if has_ca
                else "The site CA is created; keep the CA passphrase safe: it is not stored."
            )
            self.error.show_error(None, None)
            self.refresh()
            self.summary.setText(self.summary.text() + f"<br><b>{_html(self.last_message)}</b>")

        def failed(exc: BaseException) -> None:
            self.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))

        s.write(act, done, failed)

    def _confirmed(self, flagged: list[QueueEntry]) -> bool:
        from PySide6.QtWidgets import QMessageBox

        people = "\n".join(f"• {e.full_name} ({e.username}): {e.reset}; key {e.key_id}" for e in flagged)
        answer = QMessageBox.question(
            self,
            "Keys to confirm with their owners",
            "These keys follow a password an administrator set (a new account or a reset), or "
            "changed in ways the custodian must check, so someone else could have chosen them:\n\n"
            f"{people}\n\nHave you confirmed with each of them, in person, that they chose "
            "their new password themselves, and that the key number above is the one ResistDesk "
            "showed them when they did?",
        )
        return answer == QMessageBox.StandardButton.Yes


def _queue_html(queue: list[QueueEntry], me: str) -> str:
    if not queue:
        return "Every active investigator holds a current certificate."
    rows = []
    for e in queue:
        line = f"<b>{_html(e.full_name)}</b> ({_html(e.username)}): {_html(e.state)}"
        if e.pending and e.key_id:  # the number its owner was told to check with the custodian
            line += f", key number <tt>{_html(e.key_id)}</tt>"
        if e.pending and e.username == me:
            line += ": your own key; another holder of the CA passphrase certifies it"
        if e.reset:
            warning = f"{_html(e.reset)}: confirm with them in person"
            line += f"<br>&nbsp;&nbsp;<span style='color:#c0392b'>{warning}</span>"
        rows.append(line)
    return "Investigators without a current certificate:<br>" + "<br>".join(rows)


def _html(text: str) -> str:
    import html

    return html.escape(text)
