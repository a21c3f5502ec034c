"""User accounts (administrators): add, change role, disable."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import InputError
from core.store import models as m
from core.store.users import Role
from desktop.screens.simple_table import RowsModel, table_view
from desktop.session import Session
from desktop.widgets.forms import ErrorLabel, ask_reason


class NewUserDialog(QDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add user")
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.full_name.setPlaceholderText("printed name, as on signatures")
        self.role = QComboBox()
        self.role.addItems([r.value for r in Role])
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        for label, w in (("User id", self.username), ("Printed name", self.full_name), ("Role", self.role),
                         ("Password", self.password), ("Repeat password", self.repeat)):  # fmt: skip
            form.addRow(label, w)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)


class UsersScreen(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model: RowsModel[m.UserAccount] = RowsModel(
            [
                ("User id", lambda u: u.username),
                ("Printed name", lambda u: u.full_name),
                ("Role", lambda u: u.role),
                ("State", lambda u: "active" if u.active else "disabled"),
                ("Locked until", lambda u: u.locked_until or ""),
            ],
            colour=lambda u: None if u.active else "#7f8c8d",
        )
        self.view = table_view(self.model)
        self.role = QComboBox()
        self.role.addItems([r.value for r in Role])
        add = QPushButton("Add user…")
        set_role = QPushButton("Set role…")
        toggle = QPushButton("Enable / disable…")
        self.error = ErrorLabel()
        bar = QHBoxLayout()
        for w in (add, self.role, set_role, toggle):
            bar.addWidget(w)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.view)
        add.clicked.connect(self.add_user)
        set_role.clicked.connect(self.set_role)
        toggle.clicked.connect(self.toggle_active)

    def refresh(self) -> None:
        self.model.set_rows(self.session.store.users())

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
            if dialog.password.text() != dialog.repeat.text():
                dialog.error.show_error("password", "the two passwords differ")
                return
            values = (
                dialog.username.text(),
                dialog.full_name.text(),
                dialog.role.currentText(),
                dialog.password.text(),
            )

            def failed(exc: BaseException) -> None:
                dialog.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))

            def done(result: object) -> None:
                dialog.accept()
                self._done(result)

            s.write(lambda: s.store.create_user(s.actor, *values), done, failed)

        dialog.buttons.accepted.connect(save)
        dialog.open()

    def set_role(self) -> None:
        user = self._selected()
        if user is None:
            return
        role = self.role.currentText()
        reason = ask_reason(self, f"does {user.username} become {role}")
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
