"""Signing in, the first run (create a study, or open the demo), and the idle lock.

Authentication writes audit rows (logins and failed logins), so it runs on
the database writer like every other write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.presentation import role_label
from core.rules import CATEGORY_LABELS, Category
from core.store.store import Actor, Store
from core.store.users import Role
from desktop.tasks import DbWriter
from desktop.widgets.forms import ErrorLabel, FormScroll, Problem, keep_on_screen


class CategoryChooser(QGroupBox):
    """The categories the protocol enrolls, asked when a study is created (the worksheet's
    eligibility statement depends on them)."""

    def __init__(self, chosen: tuple[str, ...] = (), columns: int = 2) -> None:
        super().__init__("Categories this protocol enrolls (the worksheet says whether a subject's is one)")
        grid = QGridLayout(self)
        self.boxes: dict[Category, QCheckBox] = {}
        for k, cat in enumerate(c for c in Category if c is not Category.PENDING_CONFIRMATION):
            box = QCheckBox(CATEGORY_LABELS[cat])
            box.setChecked(cat.value in chosen)
            self.boxes[cat] = box
            grid.addWidget(box, k // columns, k % columns)

    def chosen(self) -> list[str]:
        return [c.value for c, box in self.boxes.items() if box.isChecked()]


def _password() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class LoginDialog(QDialog):
    """User id and password; the actor is in ``self.actor`` once accepted."""

    def __init__(self, store: Store, writer: DbWriter, parent: QWidget | None = None, *, username: str = "",
                 title: str = "Sign in to ResistDesk", message: str = "") -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)  # room for the word-wrapped notes without squeezing the fields
        self.store, self.writer = store, writer
        self.actor: Actor | None = None
        self.review = ""  # after choosing a password following a reset: what the account did before
        self.purpose = "login"
        self.changing = False
        self.username = QLineEdit(username)
        self.password = _password()
        # Shown when the password was set by an administrator: the user chooses their own first.
        self.new_password, self.new_repeat = _password(), _password()
        self.change_note = QLabel(
            "<b>Your password was set by an administrator.</b> Choose your own password before "
            "anything else: at least 12 characters, a phrase is fine."
        )
        self.change_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("User id", self.username)
        form.addRow("Password", self.password)
        # The note wraps: outside the forms (a wrapped label spanning a form row overprinted the next).
        change = QFormLayout()
        change.addRow("New password", self.new_password)
        change.addRow("Repeat new password", self.new_repeat)
        self._change_rows = (self.new_password, self.new_repeat)
        self._form = change
        self.error = ErrorLabel()
        self.error.watch({"username": self.username, "password": self.password,
                          "new_password": self.new_password, "new_repeat": self.new_repeat,
                          "sign_in": self.password})  # fmt: skip
        self.error.unlabelled = {"sign_in"}  # "Wrong user id or password" names both itself
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if message:
            self.message = QLabel(message)
            self.message.setWordWrap(True)
            layout.addWidget(self.message)
            if len(message) > 300:  # the first run's summary: wider, so that it is not a column
                self.setMinimumWidth(560)
        layout.addWidget(QLabel(f"<small>Database: {store.path}</small>"))
        layout.addLayout(form)
        layout.addWidget(self.change_note)
        layout.addLayout(change)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._show_change(False)
        self.username.textEdited.connect(self._other_user)
        (self.password if username else self.username).setFocus()

    def _other_user(self) -> None:
        """Another user id typed after the new-password rows appeared: they were that account's,
        and a password change must not be sent for the account typed now."""
        if self.changing:
            self._show_change(False)
            self.new_password.clear()
            self.new_repeat.clear()
            self.error.show_errors([])

    def _show_change(self, on: bool) -> None:
        for w in self._change_rows:
            self._form.setRowVisible(w, on)
        self.change_note.setVisible(on)
        self.changing = on
        layout = self.layout()
        if on and layout is not None:  # grow with the new rows instead of squeezing them
            width = max(self.width(), self.minimumWidth())
            margins = layout.contentsMargins()
            inner = width - margins.left() - margins.right()
            self.change_note.setMinimumHeight(self.change_note.heightForWidth(inner))
            layout.activate()
            needed = max(self.sizeHint().height(), layout.totalHeightForWidth(width))
            self.resize(width, max(self.height(), needed))

    def submit(self) -> None:
        from core.store.errors import PasswordChangeRequired

        user, password = self.username.text().strip(), self.password.text()
        new, repeat = self.new_password.text(), self.new_repeat.text()
        if self.changing and new != repeat:
            self.error.show_error("new_repeat", "the two new passwords differ")
            self.new_repeat.selectAll()
            self.new_repeat.setFocus()
            return
        self.buttons.setEnabled(False)

        def done(result: Actor | tuple[Actor, str]) -> None:
            self.actor, self.review = result if isinstance(result, tuple) else (result, "")
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            if isinstance(exc, PasswordChangeRequired):
                # The note above the new rows says why (in the window, not the command line the
                # store's message also names); the same words in red under them said it twice.
                self.error.show_errors([])
                self._show_change(True)
                self.new_password.setFocus()
                return
            field, message = self._fault(exc)
            self.error.show_error(field, message)
            at_fault = {"username": self.username, "new_password": self.new_password}.get(
                field or "", self.password
            )
            if at_fault is self.password:
                self.password.clear()
            elif at_fault is self.new_password:  # the new password is refused: type both again
                self.new_password.clear()
                self.new_repeat.clear()
            else:
                at_fault.selectAll()
            at_fault.setFocus()

        store, purpose = self.store, self.purpose
        if self.changing:

            def change() -> tuple[Actor, str]:
                from core.store.passwords import account_review
                from core.store.site_keys import custodian_names, own_key_id
                from core.store.users import Role

                actor = store.change_password(user, password, new)
                review = account_review(store, user)
                key = own_key_id(store, user)
                if key and actor.role is Role.INVESTIGATOR:  # what the custodian checks with them
                    keepers = custodian_names(store, besides=user)
                    who = "The CA custodian" + (f", {keepers}," if keepers else "")
                    review = (
                        f"Your new signing key is {key}. {who} "
                        "checks this number with you, in person, before certifying it; tell them "
                        "if they show you another." + ("\n\n" + review if review else "")
                    )
                return actor, review

            self.writer.submit(change, done, failed)
        else:
            self.writer.submit(lambda: store.authenticate(user, password, purpose=purpose), done, failed)

    def _fault(self, exc: BaseException) -> tuple[str, str]:
        """The field to outline for a refused sign-in, and the message, each said once. The store
        does not say whether the user id or the password was wrong: the password is outlined
        (typed again in any case); a locked or disabled account outlines the user id; a new
        password the rules refuse outlines the new password (the store names it "password")."""
        field, message = getattr(exc, "field", None), getattr(exc, "message", str(exc))
        if field == "password" and self.changing:
            return "new_password", message
        if field in ("username", "password", "new_password"):
            return field, message
        if message.startswith(("account locked", "this account is disabled")):
            return "username", message
        return "sign_in", message  # "wrong user id or password" (AuthError names no field)


class LockDialog(LoginDialog):
    """The idle lock: only the signed-in user's password reopens the session."""

    def __init__(self, store: Store, writer: DbWriter, actor: Actor, parent: QWidget | None = None) -> None:
        message = (
            f"The session of <b>{actor.full_name or actor.username}</b> is locked after a period "
            "without activity. Enter the password to continue."
        )
        super().__init__(
            store, writer, parent, username=actor.username, title="Session locked", message=message
        )
        self.username.setReadOnly(True)
        self.purpose = "unlock"  # failures count towards the lockout here too
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit ResistDesk")
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)


class FirstRunDialog(QDialog):
    """An empty database: create a study with its administrator and the site CA's custodian
    (two people: one manages accounts, the other keeps the CA passphrase), or open the demo."""

    def __init__(
        self, store: Store, writer: DbWriter, demo_path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to ResistDesk")
        self.setMinimumWidth(860)  # the administrator and the custodian side by side
        self.store, self.writer, self.demo_path = store, writer, demo_path
        self.choice: str | None = None  # "study" or "demo"
        self.created: object = None  # the study made (``choice == "study"``): see ``confirmation``
        self.new_study = QRadioButton("Create a new study, with its administrator and its CA custodian")
        self.demo = QRadioButton(
            "Open the demo study (40 example subjects; accounts admin, coordinator, investigator)"
        )
        self.new_study.setChecked(True)
        self.protocol = QLineEdit()
        self.title = QLineEdit()
        self.site = QLineEdit()
        self.site.setPlaceholderText("e.g. Clinic North, site 104 (names the site's certificate authority)")
        self.admin = QLineEdit("admin")
        self.admin_name = QLineEdit()
        self.admin_name.setPlaceholderText("printed name of the administrator")
        self.password, self.repeat = _password(), _password()
        self.custodian = QLineEdit()
        self.custodian.setPlaceholderText("e.g. pi")
        self.custodian_name = QLineEdit()
        self.custodian_name.setPlaceholderText("printed name, as on signatures")
        self.custodian_role = QComboBox()
        self.custodian_role.addItem(role_label(Role.INVESTIGATOR.value), Role.INVESTIGATOR.value)
        self.custodian_role.addItem(role_label(Role.COORDINATOR.value), Role.COORDINATOR.value)
        self.custodian_password, self.custodian_repeat = _password(), _password()
        self.ca_passphrase, self.ca_repeat = _password(), _password()
        self.demo_password, self.demo_repeat = _password(), _password()

        study_box = QGroupBox("Study")
        f = QFormLayout(study_box)
        for label, w in (("Protocol id", self.protocol), ("Study title", self.title), ("Site", self.site)):
            f.addRow(label, w)
        admin_box = QGroupBox("Administrator: manages accounts")
        a = QFormLayout(admin_box)
        for label, w in (("User id", self.admin), ("Printed name", self.admin_name),
                         ("Password", self.password), ("Repeat password", self.repeat)):  # fmt: skip
            a.addRow(label, w)
        keeper_box = QGroupBox("CA custodian: another person, keeps the CA passphrase")
        k = QFormLayout(keeper_box)
        keeper_note = QLabel(
            "The CA custodian, usually the principal investigator or the quality lead, certifies "
            "the investigators' signing keys. An administrator never can, so no one who resets "
            "passwords can sign in another's name. Hand the keyboard to the custodian to type "
            "their own password and the CA passphrase; neither is stored."
        )
        keeper_note.setWordWrap(True)
        keeper_rows: tuple[tuple[str, QWidget], ...] = (
                         ("User id", self.custodian), ("Printed name", self.custodian_name),
                         ("Role", self.custodian_role), ("Password", self.custodian_password),
                         ("Repeat password", self.custodian_repeat), ("CA passphrase", self.ca_passphrase),
                         ("Repeat CA passphrase", self.ca_repeat))  # fmt: skip
        for label, widget in keeper_rows:
            k.addRow(label, widget)
        people = QHBoxLayout()
        people.addWidget(admin_box, 1)
        people.addWidget(keeper_box, 1)
        study_form = QWidget()
        column = QVBoxLayout(study_form)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(study_box)
        self.categories = CategoryChooser(columns=4)  # two rows: the dialog fits 1366x768
        column.addWidget(self.categories)
        column.addLayout(people)
        column.addWidget(keeper_note)
        demo_form = QWidget()
        g = QFormLayout(demo_form)
        exists = demo_path.exists()
        g.addRow(QLabel(f"Demo database: {demo_path}" + (" (exists: sign in next)" if exists else "")))
        if not exists:
            g.addRow("Password for the demo accounts", self.demo_password)
            g.addRow("Repeat password", self.demo_repeat)
        self.pages = QStackedWidget()
        self.pages.addWidget(study_form)
        self.pages.addWidget(demo_form)
        self.new_study.toggled.connect(lambda on: self.pages.setCurrentIndex(0 if on else 1))
        self.error = ErrorLabel()
        self.error.watch({
            "protocol_id": self.protocol, "title": self.title, "site": self.site, "username": self.admin,
            "full_name": self.admin_name, "password": self.password, "enrolled_categories": self.categories,
            "custodian_username": self.custodian, "custodian_full_name": self.custodian_name,
            "custodian_role": self.custodian_role, "custodian_password": self.custodian_password,
            "ca_passphrase": self.ca_passphrase,
        })  # fmt: skip
        # Two people fill the form: "Printed name: is required" did not say whose (the
        # custodian's messages say "Custodian's ...").
        self.error.labels = {
            "username": "Administrator's user id",
            "full_name": "Administrator's printed name",
            "password": "Administrator's password",
        }
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>This database has no accounts yet.</b> There is no default password: "
                                "choose how to start."))  # fmt: skip
        layout.addWidget(self.new_study)
        layout.addWidget(self.demo)
        layout.addWidget(FormScroll(self.pages), 1)  # scrolls, rather than push OK off a short screen
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        keep_on_screen(self)  # whole where it fits (Qt opens a window at 2/3 of the screen's height)

    def submit(self) -> None:
        if self.demo.isChecked():
            self._submit_demo()
        else:
            self._submit_study()

    def _run(self, fn: Callable[[], object], choice: str) -> None:
        self.buttons.setEnabled(False)

        def done(result: object) -> None:
            self.choice, self.created = choice, result
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))

        self.writer.submit(fn, done, failed)

    def confirmation(self) -> str:
        """What the first run made, for the sign-in that follows (rich text): the study file, the
        study, the two accounts, and what to do next. Empty unless a study was created."""
        from html import escape

        from desktop.actions import menu_path

        study = self.created
        if self.choice != "study" or study is None:
            return ""
        protocol, title = escape(getattr(study, "protocol_id", "")), escape(getattr(study, "title", ""))
        site = getattr(study, "site", "")
        admin, admin_name = (
            escape(self.admin.text().strip()),
            escape(" ".join(self.admin_name.text().split())),
        )
        keeper, keeper_name = (
            escape(self.custodian.text().strip()),
            escape(" ".join(self.custodian_name.text().split())),
        )
        keeper_role = role_label(str(self.custodian_role.currentData())).lower()
        return (  # the file by name: its whole path is on the "Database:" line below the note
            f"<b>The study is created</b> in the study file {escape(Path(self.store.path).name)}:"
            f"<ul style='margin-left:-20px'><li>Study <b>{protocol}</b>: {title}"
            f"{f' ({escape(site)})' if site else ''}</li>"
            f"<li><b>{admin}</b> ({admin_name}), administrator: adds the other accounts</li>"
            f"<li><b>{keeper}</b> ({keeper_name}), {keeper_role} and keeper of the site "
            "certificate authority</li></ul>"
            "Next: sign in. Once each investigator has signed in and chosen a password, the "
            f"custodian certifies their signing key with <i>{escape(menu_path('site_ca'))}</i>"
        )

    def problems(self) -> list[Problem]:
        """Every problem of the new study's form at once (the store checks again)."""
        from core.errors import InputError
        from core.store.users import check_password_policy

        out: list[Problem] = []
        required = (
            ("protocol_id", self.protocol, "is required"),
            ("title", self.title, "is required"),
            ("username", self.admin, "is required"),
            ("full_name", self.admin_name, "is required (it appears on signatures)"),
            ("custodian_username", self.custodian, "is required (the CA custodian is another person)"),
            ("custodian_full_name", self.custodian_name, "is required"),
        )
        for field, edit, what in required:
            if not edit.text().strip():
                out.append((field, what))
        password, keeper_password, passphrase = (
            self.password.text(), self.custodian_password.text(), self.ca_passphrase.text()
        )  # fmt: skip
        if password != self.repeat.text():
            out.append(("password", "the two passwords differ"))
        else:
            try:
                check_password_policy(password, self.admin.text().strip(), self.admin_name.text())
            except InputError as exc:
                out.append(("password", exc.message))
        if keeper_password != self.custodian_repeat.text():
            out.append(("custodian_password", "the two passwords differ"))
        elif keeper_password and keeper_password == password:
            out.append(("custodian_password", "must differ from the administrator's password"))
        else:
            try:
                check_password_policy(
                    keeper_password, self.custodian.text().strip(), self.custodian_name.text()
                )
            except InputError as exc:
                out.append(("custodian_password", exc.message))
        if passphrase != self.ca_repeat.text():
            out.append(("ca_passphrase", "the two CA passphrases differ"))
        elif not passphrase:
            out.append(("ca_passphrase", "is required (it certifies the investigators' signing keys)"))
        elif passphrase in (password, keeper_password):
            whose = "administrator's" if passphrase == password else "custodian's"
            out.append(("ca_passphrase", f"must differ from the {whose} password"))
        return out

    def _submit_study(self) -> None:
        found = self.problems()
        if found:
            self.error.show_errors(found)
            keep_on_screen(self)  # the list of errors must not push the OK button off the screen
            return
        from core.store.firstrun import Custodian, create_study_with_administrator

        store, categories = self.store, self.categories.chosen()
        admin, name, password = self.admin.text(), self.admin_name.text(), self.password.text()
        protocol, title, site = self.protocol.text(), self.title.text(), self.site.text()
        keeper = Custodian(
            self.custodian.text(), self.custodian_name.text(), self.custodian_password.text(),
            self.ca_passphrase.text(), Role(self.custodian_role.currentData()),
        )  # fmt: skip

        def create() -> object:
            return create_study_with_administrator(
                store, username=admin, full_name=name, password=password, protocol_id=protocol,
                title=title, site=site, enrolled_categories=categories, custodian=keeper,
            )  # fmt: skip

        self._run(create, "study")

    def _submit_demo(self) -> None:
        if self.demo_path.exists():
            self.choice = "demo"
            self.accept()
            return
        if self.demo_password.text() != self.demo_repeat.text():
            self.error.show_error("password", "the two passwords differ")
            return
        from core.store.demo import create_demo

        path, password = self.demo_path, self.demo_password.text()
        self._run(lambda: create_demo(path, password).close(), "demo")


class ChangePasswordDialog(QDialog):
    """Every user changes their own password (their signing key is sealed anew under it)."""

    def __init__(self, store: Store, writer: DbWriter, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change your password")
        self.store, self.writer, self.actor = store, writer, actor
        self.current, self.new, self.repeat = _password(), _password(), _password()
        form = QFormLayout()
        form.addRow("User id", QLabel(actor.username))
        form.addRow("Current password", self.current)
        form.addRow("New password", self.new)
        form.addRow("Repeat new password", self.repeat)
        note = QLabel(
            "At least 12 characters; a phrase of several words is easiest to remember. Common or "
            "breached passwords are refused. Your signing key is sealed under the new password."
        )
        note.setWordWrap(True)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Change password")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        if self.new.text() != self.repeat.text():
            self.error.show_error("new_password", "the two new passwords differ")
            return
        username, old, new = self.actor.username, self.current.text(), self.new.text()
        self.buttons.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.current.clear()
            self.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))

        store = self.store
        self.writer.submit(
            lambda: store.change_password(username, old, new), lambda _a: self.accept(), failed
        )


class NewStudyDialog(QDialog):
    """An administrator signed in to a database without a study creates one here."""

    def __init__(self, store: Store, writer: DbWriter, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create the study")
        self.store, self.writer, self.actor = store, writer, actor
        self.protocol = QLineEdit()
        self.title = QLineEdit()
        self.sponsor = QLineEdit()
        self.site = QLineEdit()
        self.categories = CategoryChooser()
        form = QFormLayout()
        for label, w in (("Protocol id", self.protocol), ("Study title", self.title),
                         ("Sponsor", self.sponsor), ("Site", self.site)):  # fmt: skip
            form.addRow(label, w)
        form.addRow(self.categories)
        self.error = ErrorLabel()
        self.error.watch({"protocol_id": self.protocol, "title": self.title, "sponsor": self.sponsor,
                          "site": self.site, "enrolled_categories": self.categories})  # fmt: skip
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create study")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        who = actor.full_name or actor.username
        layout.addWidget(QLabel(f"<b>This study file has no study yet.</b> {who}, as an administrator, "
                                "create it now."))  # fmt: skip
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        found: list[Problem] = [(f, "is required") for f, e in (("protocol_id", self.protocol),
                                ("title", self.title)) if not e.text().strip()]  # fmt: skip
        if found:
            self.error.show_errors(found)
            return
        store, actor = self.store, self.actor
        protocol, title, categories = self.protocol.text(), self.title.text(), self.categories.chosen()
        sponsor, site = self.sponsor.text(), self.site.text()
        self.buttons.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.show_error(getattr(exc, "field", None), getattr(exc, "message", str(exc)))

        self.writer.submit(
            lambda: store.create_study(actor, protocol, title, sponsor=sponsor, site=site,
                                       enrolled_categories=categories),
            lambda _study: self.accept(),
            failed,
        )  # fmt: skip
