"""The audit trail exported for an inspector: CSV (formula-safe) and a PDF report.

Both take the same filters as the log; both escape control characters (a
value cannot forge a line). The CSV neutralises cells a spreadsheet would run
as a formula. The PDF report states the study, the period, the filters, the
result of the full verification (integrity, chain, replay) and every anchor
checked, then lists the events.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.presentation import action_label, audit_change_text
from core.store.audit import AuditFilter, AuditRow, StudyFileReport, printable

if TYPE_CHECKING:
    from core.store.store import Store

CSV_HEADER = (
    "id",
    "when_utc",
    "user",
    "action",
    "table",
    "row",
    "subject",
    "field",
    "old_value",
    "new_value",
    "reason",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def formula_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def csv_cells(row: AuditRow) -> list[str]:
    raw = [
        str(row.id), row.at_utc, row.user, row.action, row.entity,
        "" if row.entity_id is None else str(row.entity_id), row.subject, row.field,
        row.old_value or "", row.new_value or "", row.reason,
    ]  # fmt: skip
    return [formula_safe(printable(cell)) for cell in raw]


def write_csv(rows: Iterable[AuditRow], dest: Path) -> int:
    """Write the rows (streamed) as CSV; returns how many."""
    count = 0
    with dest.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        for row in rows:
            writer.writerow(csv_cells(row))
            count += 1
    return count


def write_pdf(
    store: Store,
    flt: AuditFilter,
    dest: Path,
    *,
    report: StudyFileReport | None = None,
    generated_by: str = "",
) -> int:
    """The PDF report (ReportLab): header facts, verification, anchors, then the events."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    from core.worksheet.document import BOLD, FONT, register_fonts

    register_fonts()  # embedded Unicode: a reason typed in Greek or Cyrillic is not black boxes
    report = report if report is not None else store.verify_audit()
    styles = getSampleStyleSheet()
    for name in ("BodyText", "Title", "Heading2"):
        styles[name].fontName = BOLD if name != "BodyText" else FONT
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    body = styles["BodyText"]

    def para(text: str, style: object = small) -> Paragraph:
        return Paragraph(escape(text), style)

    studies = store.studies()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    story: list[object] = [
        Paragraph("Audit trail report", styles["Title"]),
        para(f"Study: {'; '.join(f'{s.protocol_id}: {s.title}' for s in studies) or '(none)'}", body),
        para(f"Study file: {store.path.name} (study file id {store.study_file_id or 'none'})", body),
        para(f"Period: {flt.since or 'first event'} to {flt.until or 'last event'}", body),
        para(f"Filters: {flt.describe()}", body),
        para(f"Generated: {now}" + (f" by {generated_by}" if generated_by else ""), body),
        Spacer(1, 3 * mm),
        Paragraph("Verification", styles["Heading2"]),
        para(("PASSED: " if report.ok else "FAILED: ") + report.describe().splitlines()[0], body),
    ]
    story += [para(line, body) for line in report.lines()]
    story += [Spacer(1, 3 * mm), Paragraph("Events", styles["Heading2"])]
    header = ["#", "When (UTC)", "User", "Action", "Record", "Subject", "Change", "Reason"]
    data: list[list[object]] = [[para(h) for h in header]]
    count = 0
    for row in store.audit_rows(flt):
        count += 1
        data.append(
            [
                para(str(row.id)),
                para(row.at_utc[:19].replace("T", " ")),
                para(printable(row.user)),
                para(printable(action_label(row.action))),
                para(printable(row.record)),
                para(printable(row.subject)),
                para(audit_change_text(row)[:2000]),
                para(printable(row.reason)[:1000]),
            ]
        )
    story.insert(5, para(f"Events listed: {count}", body))
    widths = [m * mm for m in (10, 34, 22, 22, 26, 20, 93, 50)]  # 277 mm: the When on one line
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)

    def footer(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(FONT, 7)  # type: ignore[attr-defined]
        canvas.drawString(10 * mm, 6 * mm, f"ResistDesk audit trail report, {now}")  # type: ignore[attr-defined]
        canvas.drawRightString(287 * mm, 6 * mm, f"page {doc.page}")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
        bottomMargin=12 * mm, title="Audit trail report", author="ResistDesk",
    )  # fmt: skip
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    dest.write_bytes(buffer.getvalue())
    return count
