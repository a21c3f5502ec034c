"""User accounts (administrators): add, change role, disable, reset, unlock, certificates."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import InputError
from core.presentation import role_label
from core.store import models as m
from core.store.users import Role
from desktop.screens.simple_table import RowsModel, table_view
from desktop.session import Session
from desktop.widgets.forms import ErrorLabel, Problem, ask_reason, keep_on_screen


def role_combo() -> QComboBox:
    """The roles in words ("Investigator"), each with its code as the item's data."""
    combo = QComboBox()
    for r in Role:
        combo.addItem(role_label(r.value), r.value)
    return combo


class NewUserDialog(QDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add user")
        self.setMinimumWidth(420)  # the printed name was cut at 256 px
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.full_name.setPlaceholderText("printed name, as on signatures")
        self.role = role_combo()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        for label, w in (("User id", self.username), ("Printed name", self.full_name), ("Role", self.role),
                         ("Password", self.password), ("Repeat password", self.repeat)):  # fmt: skip
            form.addRow(label, w)
        self.error = ErrorLabel()
        self.error.watch({"username": self.username, "full_name": self.full_name, "role": self.role,
                          "password": self.password})  # fmt: skip
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)
        note = QLabel(
            "The password you type is for one sign-in: hand it over in person; the user chooses "
            "their own at the first sign-in."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def problems(self) -> list[Problem]:
        """Every problem of the form at once, each naming its field (the store checks again).
        Walkthrough: an empty user id and a short password said only "User id: use 1-64
        letters…", with nothing outlined; the password's problem came after that was fixed."""
        from core.limits import MAX_NAME_CHARS, check_text
        from core.store.users import check_password_policy, check_printed_name_script, check_username

        out: list[Problem] = []
        user, name, password = self.username.text(), self.full_name.text(), self.password.text()
        if not user.strip():
            out.append(("username", "is required"))
        else:
            try:
                check_username(user)
            except InputError as exc:
                out.append((exc.field, exc.message))
        if not name.strip():
            out.append(("full_name", "is required (it appears on signatures)"))
        else:
            try:
                check_text(name, "full_name", MAX_NAME_CHARS, formula=False)
                check_printed_name_script(name)
            except InputError as exc:
                out.append((exc.field, exc.message))
        if password != self.repeat.text():
            out.append(("password", "the two passwords differ"))
        else:
            try:
                check_password_policy(password, user.strip(), name)
            except InputError as exc:
                out.append((exc.field, exc.message))
        return out


class UsersScreen(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model: RowsModel[m.UserAccount] = RowsModel(
            [
                ("User id", lambda u: u.username),
                ("Printed name", lambda u: u.full_name),
                ("Role", lambda u: role_label(u.role)),
                ("State", lambda u: "active" if u.active else "disabled"),
                ("Locked until", lambda u: u.locked_until or ""),
                ("Password", lambda u: "to change at next sign-in" if u.must_change_password else "own"),
                ("Signing certificate", _certificate_state),
            ],
            colour=lambda u: None if u.active else "#7f8c8d",
        )
        self.view = table_view(self.model)
        self.role = role_combo()
        add = QPushButton("Add user…")
        set_role = QPushButton("Set role…")
        toggle = QPushButton("Enable / disable…")
        reset = QPushButton("Reset password…")
        unlock = QPushButton("Unlock…")
        issue = QPushButton("Certificates…")
        issue.setToolTip(
            "Who waits for a signing certificate. The CA custodian certifies keys (File > Site "
            "certificate authority); an administrator cannot."
        )
        self.error = ErrorLabel()
        bar = QHBoxLayout()
        role_label_widget = QLabel("New role:")
        role_label_widget.setBuddy(self.role)
        self.role.setToolTip("The role 'Set role…' gives the selected account")
        for w in (add, role_label_widget, self.role, set_role, toggle, reset, unlock, issue):
            bar.addWidget(w)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.view)
        add.clicked.connect(self.add_user)
        set_role.clicked.connect(self.set_role)
        toggle.clicked.connect(self.toggle_active)
        reset.clicked.connect(self.reset_password)
        unlock.clicked.connect(self.unlock)
        issue.clicked.connect(self.issue_certificates)
        self.last_message = ""

    def refresh(self) -> None:
        self.model.set_rows(self.session.store.users())
        self.view.resizeColumnsToContents()  # a printed name on one line; the last column stretches

    def _selected(self) -> m.UserAccount | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, InputError):
            self.error.show_error(exc.field, exc.message)
        else:
            self.error.show_error(None, str(exc))

    def _done(self, _result: object) -> None:
        self.error.show_error(None, None)
        self.refresh()

    def add_user(self) -> None:
        dialog = NewUserDialog(self)
        s = self.session

        def save() -> None:
            found = dialog.problems()
            if found:
                dialog.error.show_errors(found)
                keep_on_screen(dialog)  # taller for the list: the fields were squeezed flat
                return
            values = (
                dialog.username.text(),
                dialog.full_name.text(),
                dialog.role.currentData(),
                dialog.password.text(),
            )

            def failed(exc: BaseException) -> None:
                dialog.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))
                keep_on_screen(dialog)

            def done(result: object) -> None:
                dialog.accept()
                self._done(result)
                self.last_message = (
                    f"Account {values[0].strip()} ({role_label(str(values[2]))}) added; it chooses "
                    "its own password at its first sign-in."
                )
                window = self.window()
                if hasattr(window, "tell"):
                    window.tell(self.last_message)

            s.write(lambda: s.store.create_user(s.actor, *values), done, failed)

        dialog.buttons.accepted.connect(save)
        dialog.open()

    def set_role(self) -> None:
        user = self._selected()
        if user is None:
            return
        role = self.role.currentData()
        reason = ask_reason(self, f"does {user.username} become {role_label(role)}")
        if reason:
            s = self.session
            s.write(lambda: s.store.set_role(s.actor, user.username, role, reason), self._done, self._failed)

    def toggle_active(self) -> None:
        user = self._selected()
        if user is None:
            return
        reason = ask_reason(self, f"is {user.username} {'disabled' if user.active else 'enabled'}")
        if reason:
            s, active = self.session, not user.active
            s.write(
                lambda: s.store.set_active(s.actor, user.username, active, reason), self._done, self._failed
            )

    def reset_password(self) -> None:
        user = self._selected()
        if user is None:
            return
        reason = ask_reason(self, f"is the password of {user.username} reset")
        if not reason:
            return
        s = self.session

        def done(temporary: object) -> None:
            self._done(None)
            self.last_message = (
                f"One-time password for {user.username}: {temporary}\n\nHand it over in person. "
                f"{user.username} must choose a new password at the next sign-in. The old signing key "
                "was discarded and its certificate revoked; the CA custodian certifies the new key "
                "once they have (and will be asked to confirm with them in person)."
            )
            QMessageBox.information(self, "Password reset", self.last_message)

        s.write(lambda: s.store.reset_password(s.actor, user.username, reason), done, self._failed)

    def unlock(self) -> None:
        user = self._selected()
        if user is None:
            return
        reason = ask_reason(self, f"is {user.username} unlocked")
        if reason:
            s = self.session
            s.write(lambda: s.store.unlock_user(s.actor, user.username, reason), self._done, self._failed)

    def issue_certificates(self) -> None:
        """The CA dialog, read-only for an administrator: who waits, and why."""
        from desktop.dialogs.ca_dialog import SiteCADialog

        self.ca_dialog = SiteCADialog(self.session, self)
        self.ca_dialog.open()


def _certificate_state(user: m.UserAccount) -> str:
    if user.role != "investigator":
        return "—"
    if user.certificate_pem:
        return "current"
    return "awaiting the CA custodian" if user.public_key_pem else "after the user chooses a password"
