"""Worksheets: prepare a subject's eligibility worksheet, sign it (investigators),
save or print the PDF, verify a PDF, and export the site certificate.

Rendering and signing run on the database writer thread (they write the
worksheet, the signature and the audit rows); the screen only shows results.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
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
from core.rules import CATEGORY_LABELS, Category
from desktop.screens.simple_table import RowsModel, table_view
from desktop.session import Session
from desktop.style import readable
from desktop.widgets.files import open_path, save_path
from desktop.widgets.forms import ErrorLabel

if TYPE_CHECKING:  # the PDF stack (ReportLab, pyHanko) loads on first use, not at start-up
    from core.store.worksheets import WorksheetRow
    from core.worksheet.pdfsign import VerificationReport


def _signed_by(row: WorksheetRow) -> str:
    if row.signed_by and row.signed_at:
        return f"{row.signed_by}, {row.signed_at:%Y-%m-%d %H:%M}"  # the title says UTC
    return ""


def _category_words(code: str) -> str:
    try:
        return CATEGORY_LABELS[Category(code)].lower()
    except ValueError:
        return code.replace("_", " ")


WORKSHEET_WIDTHS = (175, 80, 116, 125, 80, 137, 95)
"""Document, Subject, Prepared, By, As of, Category, Status: at 1366 px "Signed by" keeps
260 px (it had 40, its title cut, behind a sideways scroll bar)."""


def _status(row: WorksheetRow) -> str:
    if row.superseded:  # in red; why is in the notice above the table (signed: see Signed by)
        return "superseded"
    return "signed" if row.status == "signed" else "draft"


def file_name(row: WorksheetRow, *, signed: bool | None = None) -> str:
    """The name offered for a worksheet's PDF: subject, document id, DRAFT or SIGNED (``signed``;
    by default its status), so that a folder of worksheets sorts by subject. Anything but
    letters, digits, ".", "-" and "_" (separators, ":", what some systems refuse) becomes "_"."""
    subject = re.sub(r"[^\w.-]+", "_", row.subject_id).strip("._") or "subject"
    done = row.status == "signed" if signed is None else signed
    return f"{subject}_{row.document_id}-{'SIGNED' if done else 'DRAFT'}.pdf"


class SignDialog(QDialog):
    """The investigator's electronic signature: printed name, role, time, meaning, password."""

    def __init__(self, parent: QWidget | None, session: Session, row: WorksheetRow) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sign worksheet {row.document_id}")
        actor = session.actor
        from core.store.worksheets import review
        from desktop.widgets.pdf_preview import PdfPreview

        pdf, eligible, statement = review(session.store, row.worksheet_id)
        # What is signed is what is read: the prepared pages, and the statement in words.
        self.preview = PdfPreview(pdf, self)
        self.statement = QLabel(
            f"<b>{'ELIGIBLE' if eligible else 'NOT ELIGIBLE'} BY CATEGORY.</b> {statement}"
        )
        self.statement.setWordWrap(True)
        from core.worksheet.document import DEFAULT_MEANING

        self.meaning = QLineEdit(DEFAULT_MEANING)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(
            "Subject", QLabel(f"{row.subject_id}: {_category_words(row.category)} ({row.rule or '—'})")
        )
        form.addRow("Printed name", QLabel(actor.full_name or actor.username))
        form.addRow("Role", QLabel(role_label(actor.role.value)))
        form.addRow(
            "Date and time", QLabel(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC (recorded when signed)")
        )
        form.addRow("Meaning of the signature", self.meaning)
        form.addRow("Re-enter your password", self.password)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign")
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        notice = (
            "Your electronic signature is the legally binding equivalent of your handwritten "
            "signature (21 CFR 11.100)."
        )
        layout.addWidget(QLabel("Read the worksheet you are signing (the signed copy adds your signature):"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.statement)
        layout.addWidget(QLabel(notice))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        # The preview scrolls: it gives up height so that the Sign button stays on a 768-pixel screen.
        self.preview.setMinimumSize(700, 200)  # a page's width: only the height scrolls
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        hint = self.sizeHint()
        self.resize(min(hint.width(), screen.width()), min(hint.height(), screen.height() - 60))

    def show_error(self, field: str | None, message: str) -> None:
        self.error.show_error(field, message)
        self.buttons.setEnabled(True)
        self.password.clear()


class WorksheetsScreen(QWidget):
    sig_saved = Signal(str)
    """A PDF was written: (path)."""

    def __init__(
        self, session: Session, parent: QWidget | None = None, settings: QSettings | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings or QSettings()
        self.subject_pk: int | None = None  # the subject to prepare for, when one is open
        self.model: RowsModel[WorksheetRow] = RowsModel(
            [
                ("Document", lambda r: r.document_id),
                ("Subject", lambda r: r.subject_id),
                ("Prepared (UTC)", lambda r: f"{r.prepared_at:%Y-%m-%d %H:%M}"),
                ("By", lambda r: r.prepared_by),
                ("As of", lambda r: r.as_of),
                ("Category", lambda r: CATEGORY_LABELS[Category(r.category)]),
                ("Status", _status),
                ("Signed by (UTC)", _signed_by),
            ],
            colour=lambda r: readable("#c0392b", QPalette.ColorRole.Base) if r.superseded
            else (readable("#1e8449", QPalette.ColorRole.Base) if r.status == "signed" else None),
        )  # fmt: skip
        self.view = table_view(
            self.model,
            "No worksheet yet. Open a subject (or select one in the Roster) and press "
            "“Prepare worksheet…”: the draft appears here, for an investigator to read and sign.",
        )
        for col, width in enumerate(WORKSHEET_WIDTHS):  # Signed by, last, takes the rest
            self.view.setColumnWidth(col, width)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.prepare_button = QPushButton("Prepare worksheet…")
        self.sign_button = QPushButton("Sign…")
        self.save_button = QPushButton("Save PDF…")
        verify = QPushButton("Verify a PDF…")
        cert = QPushButton("Export site certificate…")
        self.info = QLabel()
        self.info.setWordWrap(True)  # a long notice must not widen the window past a 1366 px screen
        bar = QHBoxLayout()
        for w in (self.prepare_button, self.sign_button, self.save_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(verify)
        bar.addWidget(cert)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.info)
        layout.addWidget(self.view)
        self.prepare_button.clicked.connect(lambda: self.prepare())
        self.sign_button.clicked.connect(lambda: self.sign())
        self.save_button.clicked.connect(lambda: self.save_selected())
        verify.clicked.connect(lambda: self.verify_file())
        cert.clicked.connect(lambda: self.export_certificate())
        self.last_dialog: SignDialog | None = None

    def _custodian_words(self) -> str:
        """Whom an investigator asks for a certificate, by name: "the CA's custodian" alone
        left a new investigator looking for a menu they cannot use."""
        from core.store.site_keys import custodian_names

        people = custodian_names(self.session.store, besides=self.session.actor.username)
        return "the site CA's custodian" + (f", {people}" if people else "")

    # ------------------------------------------------------------------
    def refresh(self) -> None:
        from core.store.worksheets import worksheets

        kept = self.selected()
        self.model.set_rows(worksheets(self.session.store, study_id=self.session.study_id))
        if kept is not None:  # a refresh keeps the row chosen (the draft just prepared, to sign)
            self.select_document(kept.document_id)
        who = "You can sign (investigator)." if self.session.can_sign else "Only an investigator can sign."
        if self.session.can_sign and not self._has_certificate():
            who = (
                "You cannot sign yet: you have no signing certificate. Ask "
                f"{self._custodian_words()} to certify your key: they sign in and use "
                "File > Site certificate authority…, with the CA passphrase."
            )
        subject = " Open a subject, or select one in the roster, to prepare its worksheet."
        self.prepare_button.setText("Prepare worksheet…")
        self.view.set_placeholder(
            "No worksheet yet. Open a subject (or select one in the Roster) and press "
            "“Prepare worksheet…”: the draft appears here, for an investigator to read and sign."
        )
        if self.subject_pk is not None:
            code = self.session.store.subject_rows(self.subject_pk).subject.subject_code
            subject = f" Prepares for subject {code}."
            self.prepare_button.setText(f"Prepare worksheet for {code}…")
            # Coming from "Worksheet for MEL-001…", the list said to open a subject first.
            self.view.set_placeholder(
                f"No worksheet yet. Press “Prepare worksheet for {code}…” above: the draft "
                "appears here, for an investigator to read and sign."
            )
        self.info.setText(
            f"{who}{subject} Superseded worksheets (red): the subject's data or the study settings "
            "changed since; prepare them again before signing."
        )
        self._update_buttons()

    def _has_certificate(self) -> bool:
        """Whether the signed-in investigator holds a signing certificate (said before they try)."""
        username = self.session.actor.username
        user = next((u for u in self.session.store.users() if u.username == username), None)
        return user is not None and bool(user.certificate_pem)

    def selected(self) -> WorksheetRow | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_document(self, document_id: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).document_id == document_id:
                self.view.selectRow(row)

    def _update_buttons(self) -> None:
        row = self.selected()
        self.prepare_button.setEnabled(self.subject_pk is not None)
        signable = row is not None and row.status == "draft" and not row.superseded
        self.sign_button.setEnabled(self.session.can_sign and signable)
        self.save_button.setEnabled(row is not None)

    def _ask_path(self, title: str, name: str, pattern: str) -> Path | None:
        kind = "certificate" if name.endswith(".pem") else "worksheets"
        return save_path(self, self.settings, kind, title, name, pattern)

    def _failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self, "Worksheet", str(exc))

    # ------------------------------------------------------------------
    def prepare(self, path: Path | None = None) -> None:
        """Prepare a draft for the open subject and save it."""
        if self.subject_pk is None:
            return
        from core.store.worksheets import prepare_worksheet

        s, pk = self.session, self.subject_pk
        as_of = s.as_of()

        def done(result: tuple[int, bytes]) -> None:
            self.refresh()
            worksheet_id, pdf = result
            row = next(r for r in self.model.rows() if r.worksheet_id == worksheet_id)
            self.select_document(row.document_id)
            target = path or self._ask_path("Save the draft worksheet", file_name(row), "PDF (*.pdf)")
            if target is not None:
                target.write_bytes(pdf)
                self.sig_saved.emit(str(target))

        s.write(lambda: prepare_worksheet(s.store, s.actor, pk, as_of), done, self._failed)

    def sign(self, path: Path | None = None) -> SignDialog | None:
        row = self.selected()
        if row is None:
            return None
        from core.store.worksheets import sign_worksheet

        s = self.session
        dialog = SignDialog(self, s, row)
        self.last_dialog = dialog

        def submit() -> None:
            password, meaning = dialog.password.text(), dialog.meaning.text()
            dialog.buttons.setEnabled(False)

            def done(pdf: bytes) -> None:
                dialog.accept()
                self.refresh()
                target = path or self._ask_path(
                    "Save the signed worksheet", file_name(row, signed=True), "PDF (*.pdf)"
                )
                if target is not None:
                    target.write_bytes(pdf)
                    self.sig_saved.emit(str(target))

            def failed(exc: BaseException) -> None:
                dialog.show_error(
                    exc.field if isinstance(exc, InputError) else None, getattr(exc, "message", str(exc))
                )

            s.write(
                lambda: sign_worksheet(s.store, s.actor, row.worksheet_id, password, meaning), done, failed
            )

        dialog.buttons.accepted.connect(submit)
        dialog.open()
        return dialog

    def save_selected(self, path: Path | None = None) -> Path | None:
        row = self.selected()
        if row is None:
            return None
        from core.store.worksheets import worksheet_pdf

        target = path or self._ask_path("Save worksheet", file_name(row), "PDF (*.pdf)")
        if target is not None:
            target.write_bytes(worksheet_pdf(self.session.store, row.worksheet_id))
            self.sig_saved.emit(str(target))
        return target

    def verify_file(self, path: Path | None = None) -> VerificationReport | None:
        from core.store.ca_pin import site_ca_problem
        from core.store.site_keys import (
            recorded_before,
            site_certificate_pem,
            site_crl_pem,
            site_record,
        )
        from core.worksheet.pdfsign import verify_pdf

        if path is None:
            path = open_path(self, self.settings, "worksheets", "Verify a worksheet", "PDF (*.pdf)")
            if path is None:
                return None
        store = self.session.store
        # As `resistdesk verify --db`: the current CRL and the site's record of the worksheet.
        report = verify_pdf(
            path.read_bytes(),
            site_certificate_pem(store),
            crl_pem=site_crl_pem(store),
            recorded_before=lambda doc, moment: recorded_before(store, doc, moment),
            site_record=lambda doc, digest: site_record(store, doc, digest),
        )
        pinned = site_ca_problem(store)
        if pinned is not None:
            report.add("site CA", False, pinned)
        good = report.ok and not report.classification_changed
        box = QMessageBox(QMessageBox.Icon.Information if good else QMessageBox.Icon.Warning,
                          "Worksheet verification", f"{path.name}", parent=self)  # fmt: skip
        box.setInformativeText(report.describe())
        if report.technical_details():
            box.setDetailedText(report.technical_details())  # the CA's full DN, under "Show Details…"
        box.open()
        self.last_report_box = box
        return report

    def export_certificate(self, path: Path | None = None) -> Path | None:
        from core.store.site_keys import site_certificate_pem

        target = path or self._ask_path(
            "Export the site certificate", "resistdesk-site-ca.pem", "Certificate (*.pem)"
        )
        if target is not None:
            target.write_text(site_certificate_pem(self.session.store), encoding="ascii")
            self.sig_saved.emit(str(target))
        return target
