"""The eligibility worksheet as a PDF (ReportLab), from values the core built.

The page says what was decided, on which evidence, by which rule and with
which parameters, so that it can be checked years later. Fonts (DejaVu Sans)
are embedded, so it prints the same everywhere. An unsigned worksheet says
DRAFT on every page; every page's footer carries the page number, the
document id and the SHA-256 of the case data the result was computed from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core import __version__
from core.casefile import json_number, parse_stored_case
from core.paths import resource
from core.presentation import (
    CATEGORY_HEX,
    REGIMEN_TEXT,
    category_label,
    confirmation_text,
    parameter_help,
    parameter_label,
    parameter_text,
    response_hex,
    role_label,
    ruleset_citation,
    ruleset_label,
    ruleset_short,
)
from core.rules import (
    CATEGORY_LABELS,
    CAVEAT_HELP,
    INTERPRETATIONS,
    Category,
    Classification,
    IciChemoRuleSet,
)
from core.rules.recist import evaluate

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
ROLE_TEXT = {
    "initial_pd": "Initial PD",
    "confirmatory": "Confirms the PD",
    "refuting": "Refutes the PD",
    "too_early_to_confirm": "Too early to confirm",
    "clinical_progression": "Clinical progression",
    "biopsy": "Biopsy result",
    "best_response": "Best response",
    "refuted_pd": "PD later refuted",
    "after_as_of": "After the as-of date",
    "iupd_awaiting_icpd": "iUPD again: awaiting iCPD",
    "before_unequivocal": "Before the lesion was unequivocal",
}
DEFAULT_MEANING = "I have reviewed the evidence and confirm this classification."
RESPONSE_WORDS = {
    "CR": "complete response",
    "PR": "partial response",
    "SD": "stable disease",
    "NON_CR_NON_PD": "non-CR/non-PD",
    "PD": "progressive disease",
    "NE": "not evaluable",
    "NED": "no evidence of disease",
    "iCR": "complete response (iRECIST)",
    "iPR": "partial response (iRECIST)",
    "iSD": "stable disease (iRECIST)",
    "iUPD": "unconfirmed progression (iUPD)",
    "iCPD": "confirmed progression (iCPD)",
}
NON_TARGET_WORDS = {"CR": "disappeared", "NON_CR_NON_PD": "present", "PD": "unequivocal progression",
                    "NE": "not evaluable", "absent": "disappeared", "present": "present"}  # fmt: skip
STAMP_SIZE = (82 * mm, 24 * mm)
NBSP = "\u00a0"


def _response(code: object) -> str:
    """A response (code or enum) in words on the page: "progressive disease", not "PD"."""
    value = getattr(code, "value", code)
    return response_words(str(value)) if value not in (None, "") else "—"


def response_words(code: str | None) -> str:
    """A response code as words (the abbreviation kept where it is the usual name)."""
    if not code:
        return "—"
    return RESPONSE_WORDS.get(code, code.replace("_", " ").lower())


def code_words(code: str) -> str:
    """A caveat or status code as words: CONFIRMATION_OUTSIDE_WINDOW -> Confirmation outside window."""
    text = code.replace("_", " ").lower()
    for short, full in ((" pd", " PD"), ("sd ", "SD "), (" cr", " CR"), ("pr ", "PR ")):
        text = text.replace(short, full)
    return text[:1].upper() + text[1:]


def parameter_words(name: str) -> str:
    """min_exposure_days -> Min exposure (days)."""
    unit = ""
    for suffix, label in (("_days", " (days)"),):
        if name.endswith(suffix):
            name, unit = name.removesuffix(suffix), label
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:] + unit


def when_text(moment: dt.datetime) -> str:
    """A signing time with its zone, in UTC and local time."""
    utc = moment.astimezone(dt.UTC)
    local = moment.astimezone()
    text = f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    if local.utcoffset():  # a workstation on UTC: the same time twice said nothing more
        text += f" ({local:%Y-%m-%d %H:%M:%S} {local.tzname() or 'local'})"
    return _keep(text)


def _keep(text: str) -> str:
    """No break inside a date and time: non-breaking spaces within each part."""
    return " (".join(part.replace(" ", NBSP) for part in text.split(" ("))


def register_fonts() -> None:
    """The bundled DejaVu Sans (regular and bold, every European script), embedded in the
    worksheet and the audit trail report."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(resource("fonts", file))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def canonical_case_json(case: dict[str, Any]) -> bytes:
    """The case file as it is hashed and embedded: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        case, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_number
    ).encode()


def case_sha256(case: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_case_json(case)).hexdigest()


@dataclass(frozen=True, slots=True)
class StudyInfo:
    protocol_id: str
    title: str
    site: str = ""
    sponsor: str = ""
    enrolled_categories: tuple[str, ...] = ()
    paper_size: str = "A4"
    enrolled_regimens: tuple[str, ...] = ()  # monotherapy, ici_chemotherapy; empty: not recorded
    is_demo: bool = False


@dataclass(frozen=True, slots=True)
class SignatureBlock:
    printed_name: str
    user_id: str
    role: str
    meaning: str
    signed_at: dt.datetime  # aware, UTC


@dataclass(frozen=True, slots=True)
class WorksheetContent:
    study: StudyInfo
    case: dict[str, Any]
    result: Classification
    document_id: str
    generated_at: dt.datetime  # aware
    prepared_by: str
    signature: SignatureBlock | None = None

    @property
    def case_sha256(self) -> str:
        return case_sha256(self.case)


def eligibility_statement(study: StudyInfo, result: Classification) -> tuple[bool, str]:
    """Whether the category is one the protocol enrolls, in words."""
    label = category_label(result)
    enrolled = set(study.enrolled_categories)
    if not enrolled:
        return False, (
            f"Categories not configured: the study settings do not yet say which categories protocol "
            f"{study.protocol_id} enrolls, so eligibility by category cannot be stated. An administrator "
            "chooses them in Study settings; then prepare this worksheet again."
        )
    names = (
        ", ".join(CATEGORY_LABELS[Category(c)].lower() for c in sorted(enrolled)) or "no category recorded"
    )
    if result.category is Category.PENDING_CONFIRMATION:
        provisional = (
            CATEGORY_LABELS[result.provisional_category].lower() if result.provisional_category else "—"
        )
        return False, (
            f"Not yet eligible: the progression awaits confirmation (provisionally {provisional}). "
            f"Protocol {study.protocol_id} enrolls: {names}."
        )
    regimen = "ici_chemotherapy" if isinstance(result.ruleset, IciChemoRuleSet) else "monotherapy"
    regimens = set(study.enrolled_regimens)
    if regimens and regimen not in regimens:
        listed = ", ".join(REGIMEN_TEXT.get(x, x) for x in sorted(regimens))
        return False, (
            f"{label} after {REGIMEN_TEXT[regimen]} ({ruleset_short(result.ruleset.name)}), but protocol "
            f"{study.protocol_id} enrolls only after: {listed}."
        )
    if result.category.value in enrolled:
        return True, f"{label} is a category protocol {study.protocol_id} enrolls ({names})."
    return False, f"{label} is not a category protocol {study.protocol_id} enrolls ({names})."


# ---------------------------------------------------------------------------
# Drawing


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11, splitLongWords=0)
    return {
        "base": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444")
        ),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=15, leading=19, spaceAfter=2),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=7,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "result": ParagraphStyle(
            "result", parent=base, fontName=BOLD, fontSize=20, leading=25, textColor=colors.white
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6, splitLongWords=0),
        "head": ParagraphStyle(
            "head", parent=base, fontName=BOLD, fontSize=7.6, leading=9.4, splitLongWords=0
        ),
        "manifest": ParagraphStyle("manifest", parent=base, fontSize=8, leading=10.2, splitLongWords=0),
    }


def _cell(value: Any, style: ParagraphStyle) -> Any:
    """Text becomes a wrapping paragraph (escaped); flowables pass through."""
    if isinstance(value, str):
        return Paragraph(xml_escape(value), style)
    return value


def _table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    header: bool = True,
    more_heads: Sequence[int] = (),
) -> Table:
    """A grid; the first row is its header (repeated on a new page), and so is each row of
    ``more_heads`` (the titles of a table continued below itself)."""
    styles = _styles()
    body, head = styles["cell"], styles["head"]
    heads = ({0} if header else set()) | set(more_heads)
    data = [[_cell(v, head if k in heads else body) for v in row] for k, row in enumerate(rows)]
    t = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b0b0")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for k in sorted(heads):
        style.append(("BACKGROUND", (0, k), (-1, k), colors.HexColor("#e8ecef")))
    t.setStyle(TableStyle(style))
    return t


def _timeline(content: WorksheetContent, width: float) -> Drawing:
    """Swimmer lane: treatment bar, visits by response, 6-week/6-month/12-weeks-off marks, window."""
    course = parse_stored_case(content.case)
    r = content.result
    k = r.key_dates
    dates = [course.first_dose, r.as_of, k.min_exposure_reached, *(a.date for a in course.assessments)]
    for d in (course.last_dose, r.confirmation.closes):
        if d:
            dates.append(d)
    start, end = min(dates) - dt.timedelta(days=7), max(dates) + dt.timedelta(days=14)
    span = max((end - start).days, 1)
    height = 46 * mm
    d = Drawing(width, height, initialFontName=FONT)
    d.shift(0, 8)
    d.height = height + 8
    left, right = 4.0, width - 4.0

    def x(day: dt.date) -> float:
        return left + (right - left) * (day - start).days / span

    c = r.confirmation
    if c.opens and c.closes:
        d.add(
            Rect(
                x(c.opens),
                14,
                x(c.closes) - x(c.opens),
                height - 24,
                fillColor=colors.HexColor("#fbe5c4"),
                strokeColor=None,
            )
        )
        d.add(String(x(c.opens) + 2, height - 18, "confirmation window", fontName=FONT, fontSize=6.5))
    bar_end = course.last_dose or r.as_of
    lane = height - 42
    d.add(
        Rect(
            x(course.first_dose),
            lane,
            max(2.0, x(bar_end) - x(course.first_dose)),
            9,
            fillColor=colors.HexColor("#5d6d7e"),
            strokeColor=None,
            rx=2,
            ry=2,
        )
    )
    marks = [(k.min_exposure_reached, "6 wk"), (k.benefit_threshold, "6 mo")]
    if k.off_treatment_threshold:
        marks.append((k.off_treatment_threshold, "12 wk off"))
    for day, label in marks:
        if start <= day <= end:
            d.add(Line(x(day), 10, x(day), height - 8, strokeDashArray=[2, 2], strokeWidth=0.5))
            d.add(String(x(day) + 2, height - 8, label, fontName=FONT, fontSize=6.5))
    d.add(Line(x(r.as_of), 8, x(r.as_of), height - 4, strokeColor=colors.HexColor("#2e86c1"), strokeWidth=1))
    near_right = x(r.as_of) > right - 60  # keep the label on the page
    d.add(
        String(
            x(r.as_of) + (-2 if near_right else 2),
            2,
            f"as of {r.as_of}",
            fontName=FONT,
            fontSize=6.5,
            fillColor=colors.HexColor("#2e86c1"),
            textAnchor="end" if near_right else "start",
        )
    )
    responses = {i: resp.value for i, resp, _ in r.visit_responses}
    for i, a in enumerate(course.assessments):
        code = responses.get(i) or (a.response.value if a.response else "NE")
        cx = x(a.date)
        d.add(
            Circle(
                cx,
                lane - 12,
                3.6,
                fillColor=colors.HexColor(response_hex(code)),
                strokeColor=colors.white,
                strokeWidth=0.6,
            )
        )
        d.add(String(cx, lane - 23, code, fontName=FONT, fontSize=6, textAnchor="middle"))
    # Date ticks along the bottom, at the first of every month or quarter.
    step = 1 if span <= 200 else (3 if span <= 800 else 6)
    tick = dt.date(start.year, start.month, 1)
    while tick <= end:
        if tick >= start:
            d.add(Line(x(tick), 0, x(tick), 4, strokeWidth=0.4))
            d.add(String(x(tick) + 1, -7, f"{tick:%Y-%m}", fontName=FONT, fontSize=5.5))
        month = tick.month - 1 + step
        tick = dt.date(tick.year + month // 12, month % 12 + 1, 1)
    return d


def _visit_codes(content: WorksheetContent) -> list[tuple[int, str, dt.date]]:
    course = parse_stored_case(content.case)
    responses = {i: resp.value for i, resp, _ in content.result.visit_responses}
    return [
        (i, responses.get(i) or (a.response.value if a.response else "NE"), a.date)
        for i, a in enumerate(course.assessments)
    ]


def _spider(points: list[tuple[int, float]], width: float) -> Drawing:
    height = 42 * mm
    d = Drawing(width, height, initialFontName=FONT)
    pts = [(0, 0.0), *points]
    max_day = max(p[0] for p in pts) or 1
    lo, hi = min(-40.0, min(p[1] for p in pts) - 10), max(30.0, max(p[1] for p in pts) + 10)
    left, right, bottom, top = 30.0, width - 6, 14.0, height - 10

    def pos(day: int, value: float) -> tuple[float, float]:
        return left + (right - left) * day / max_day, bottom + (top - bottom) * (value - lo) / (hi - lo)

    for value, label, colour in (
        (0.0, "0 %", colors.black),
        (-30.0, "−30 %", colors.HexColor("#1e8449")),
        (20.0, "+20 %", colors.HexColor("#c0392b")),
    ):
        y = pos(0, value)[1]
        d.add(
            Line(
                left,
                y,
                right,
                y,
                strokeColor=colour,
                strokeWidth=0.5,
                strokeDashArray=None if value == 0 else [2, 2],
            )
        )
        d.add(String(left - 3, y - 2, label, fontName=FONT, fontSize=6, textAnchor="end"))
    flat = [c for p in pts for c in pos(*p)]
    d.add(PolyLine(flat, strokeColor=colors.HexColor("#2e86c1"), strokeWidth=1.2))
    for p in pts:
        px, py = pos(*p)
        d.add(Circle(px, py, 2, fillColor=colors.HexColor("#2e86c1"), strokeColor=None))
    step = next(n for n in (14, 28, 56, 84, 182, 364, 728) if max_day / n <= 8)
    for day in range(0, max_day + 1, step):
        px = pos(day, lo)[0]
        d.add(Line(px, bottom - 2, px, bottom, strokeWidth=0.4))
        d.add(String(px, bottom - 8, f"day {day}", fontName=FONT, fontSize=5.5, textAnchor="middle"))
    d.add(
        String(
            left,
            top - 2,
            "% change of the target sum from baseline (vertical), by days since the first dose (horizontal)",
            fontName=FONT,
            fontSize=6,
        )
    )
    return d


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """Draws 'page X of Y', the document id, the case hash and DRAFT once the page count is known."""

    content: WorksheetContent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every font embedded: start pages in DejaVu, not ReportLab's default (unembedded) Helvetica.
        kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        c = self.content
        width, height = self._pagesize
        self.saveState()
        marks = [("DRAFT", colors.Color(0.75, 0.2, 0.2, alpha=0.16))] if c.signature is None else []
        if c.study.is_demo:
            marks.append(("DEMO", colors.Color(0.2, 0.3, 0.75, alpha=0.16)))
        for k, (word, colour) in enumerate(marks):
            self.saveState()
            self.setFont(BOLD, 80)
            self.setFillColor(colour)
            self.translate(width / 2, height / 2 - 150 * k + (75 if len(marks) > 1 else 0))
            self.rotate(40)
            self.drawCentredString(0, -25, word)
            self.restoreState()
        self.setFont(FONT, 6.2)
        self.setFillColor(colors.HexColor("#555555"))
        footer = (
            f"Page {self._pageNumber} of {total}  ·  Document {c.document_id}  ·  "
            f"Case SHA-256 {c.case_sha256}"
        )
        self.drawString(14 * mm, 8 * mm, footer)
        status = "SIGNED" if c.signature else "DRAFT — not signed"
        if c.study.is_demo:
            status += " · DEMO STUDY, not for clinical use"
        self.drawRightString(
            width - 14 * mm,
            height - 9 * mm,
            f"{c.study.protocol_id} · subject {c.result.subject_id} · {status}",
        )
        self.restoreState()


def render_worksheet(content: WorksheetContent) -> bytes:
    """The worksheet PDF (without attachments; ``pdfsign`` adds them)."""
    return render_worksheet_placed(content)[0]


def render_worksheet_placed(content: WorksheetContent) -> tuple[bytes, StampPlace | None]:
    """The worksheet PDF, and (signed copies) where its visible signature goes, with its look."""
    register_fonts()
    placed: list[_SignatureSlot] = []
    s = _styles()
    page = LETTER if content.study.paper_size == "Letter" else A4
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=page,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=15 * mm,
        title=f"Eligibility worksheet {content.study.protocol_id} {content.result.subject_id}",
        author=content.prepared_by,
        subject=f"case-sha256:{content.case_sha256}",
        creator=f"ResistDesk {__version__}",
        keywords=f"document-id:{content.document_id}",
    )
    width = doc.width
    r, study, case = content.result, content.study, content.case
    story: list[Any] = []
    demo = "  (DEMO STUDY)" if study.is_demo else ""
    story.append(Paragraph("PD-(L)1 resistance eligibility worksheet", s["h1"]))
    local = content.generated_at.astimezone()
    story.append(
        _table(
            [
                ["Protocol", f"{study.protocol_id}: {study.title}{demo}", "Site", study.site or "—"],
                ["Subject", r.subject_id, "Sponsor", study.sponsor or "—"],
                [
                    "Generated",
                    _keep(
                        f"{content.generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
                        + (f" ({local:%Y-%m-%d %H:%M %Z})" if local.utcoffset() else "")
                    ),
                    "Prepared by",
                    content.prepared_by,
                ],
                ["Classified as of", str(r.as_of), "Document id", content.document_id],
            ],
            [27 * mm, width / 2 - 27 * mm, 24 * mm, width / 2 - 24 * mm],
            header=False,
        )
    )
    # The result, in large type
    story.append(Spacer(1, 5))
    colour = colors.HexColor(CATEGORY_HEX[r.category])
    label = category_label(r)
    if r.provisional_category:
        label += f" (provisionally {CATEGORY_LABELS[r.provisional_category].lower()})"
    label += " — " + ruleset_label(r.ruleset).replace(" ", NBSP)  # the rule set name stays whole
    box = Table(
        [[Paragraph(label, s["result"]), Paragraph(_manifestation(content), s["manifest"])]],
        colWidths=[width * 0.56, width * 0.44],
    )
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BACKGROUND", (0, 0), (0, 0), colour),
                ("BACKGROUND", (1, 0), (1, 0), colors.HexColor("#f4f6f7")),
                ("BOX", (1, 0), (1, 0), 0.6, colour),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story.append(box)
    c = r.confirmation
    confirmation = confirmation_text(c.required, c.status, c.date)
    if c.opens and c.closes:
        confirmation += f"; window {c.opens} to {c.closes}" + (
            f" ({c.due_status.replace('_', ' ')})" if c.due_status else ""
        )
    eligible, statement = eligibility_statement(study, r)
    verdict = "ELIGIBLE BY CATEGORY." if eligible else "NOT ELIGIBLE BY CATEGORY."
    if not study.enrolled_categories:
        verdict = "CATEGORIES NOT CONFIGURED."
    facts = [
        ["Rule set", Paragraph(f"{ruleset_label(r.ruleset)}, following {ruleset_citation(r)}", s["cell"])],
        ["Rule", r.rule.value if r.rule else "— (the definitions do not name a table row)"],
        ["Progression date", str(r.progression_date or "—")],
        ["Confirmation", confirmation],
    ]
    if r.reason:
        facts.append(["Reason", Paragraph(r.reason, s["cell"])])
    facts.append(
        [
            "Eligibility",
            Paragraph(
                f"<b>{verdict}</b> " + statement,
                s["cell"],
            ),
        ]
    )
    story.append(_table(facts, [30 * mm, width - 30 * mm], header=False))

    # Treatment course
    story.append(Paragraph("Treatment course", s["h2"]))
    course_rows = [
        ["Tumor type", case["tumor_type"], "Setting", case["setting"]],
        ["Agent", case.get("agent") or "—", "Regimen", REGIMEN_TEXT.get(case["regimen"], case["regimen"])],
        ["First dose", case["first_dose"], "Last dose", case.get("last_dose") or "ongoing"],
        [
            "Reason for stopping",
            (case.get("discontinuation_reason") or "—").replace("_", " "),
            "Intercurrent therapy",
            "yes" if case.get("intercurrent_therapy") else "no",
        ],
    ]
    if case["setting"] == "neoadjuvant":
        mpr = case.get("major_pathological_response")
        course_rows.append(
            [
                "Surgery",
                case.get("surgery_date") or "—",
                "Major pathological response",
                "not recorded" if mpr is None else ("yes" if mpr else "no"),
            ]
        )
    story.append(
        _table(course_rows, [30 * mm, width / 2 - 30 * mm, 34 * mm, width / 2 - 34 * mm], header=False)
    )

    # Assessments with their role
    story.append(Paragraph("Assessments", s["h2"]))
    roles = dict(r.visit_roles)
    responses = {i: (gov, comp) for i, gov, comp in r.visit_responses}
    rows: list[list[Any]] = [
        ["Date", "Recorded response", "From lesions", "Response used", "Role in the classification", "Flags"]
    ]
    for i, a in enumerate(case["assessments"]):
        gov, comp = responses.get(i, (None, None))
        flags = [
            k.replace("_", " ")
            for k in (
                "clinical_progression",
                "symptomatic",
                "nodal_only",
                "multiple_metastases",
                "rapid_progression",
            )
            if a.get(k)
        ]
        if a.get("progressing_sites") is not None:
            flags.append(f"{a['progressing_sites']} site(s)")
        if a.get("biopsy_confirms_progression") is not None:
            flags.append(
                "biopsy confirms PD" if a["biopsy_confirms_progression"] else "biopsy does not confirm PD"
            )
        role = roles.get(i)
        rows.append(
            [
                a["date"],
                Paragraph(_response(a.get("response")), s["cell"]),
                Paragraph(_response(comp) if comp else "", s["cell"]),
                Paragraph(_response(gov) if gov else "", s["cell"]),
                ROLE_TEXT.get(role.value, "") if role else "",
                Paragraph(", ".join(flags), s["cell"]),
            ]
        )
    story.append(_table(rows, [20 * mm, 27 * mm, 27 * mm, 27 * mm, 32 * mm, width - 133 * mm]))

    # Timeline and, when measured, the spider plot and sums
    story.append(Paragraph("Timeline", s["h2"]))
    story.append(_timeline(content, width))
    legend = sorted({(code or "NE") for _, code, _ in _visit_codes(content)})
    story.append(
        Paragraph(
            "Dots: each assessment, labelled with its response: "
            + "; ".join(f"{code} = {response_words(code)}" for code in legend)
            + ". Bar: treatment from the first to the last dose. Dashed lines: 6 weeks and 6 months "
            "after the first dose, 12 weeks after the last.",
            s["small"],
        )
    )
    course = parse_stored_case(case)
    if course.baseline is not None:
        measured = [
            (a.date, a.lesions) for a in course.assessments if a.lesions is not None and a.date <= r.as_of
        ]
        recist = evaluate(
            course.baseline,
            [(d, m) for d, m in measured if m is not None],
            criteria=course.criteria,
            first_dose=course.first_dose,
        )
        points = [((d - course.first_dose).days, v) for d, v in recist.spider_points()]
        sums = [
            [
                "Date",
                "Sum (mm)",
                "From baseline",
                "Nadir (mm)",
                "From nadir",
                "Target",
                "Non-target",
                "New",
                "Overall",
            ]
        ]
        for tp in recist.timepoints:
            sums.append(
                [
                    str(tp.date),
                    f"{tp.sum_mm}" if tp.sum_mm is not None else "—",
                    f"{float(tp.change_from_baseline_pct):+.1f}{NBSP}%"
                    if tp.change_from_baseline_pct is not None
                    else "—",
                    f"{tp.nadir_mm}" if tp.nadir_mm is not None else "—",
                    f"{float(tp.change_from_nadir_mm):+.1f}{NBSP}mm"
                    if tp.change_from_nadir_mm is not None
                    else "—",
                    _response(tp.target) if tp.target else "—",
                    _response(tp.non_target) if tp.non_target else "—",
                    tp.new_lesions.value,
                    _response(tp.irecist or tp.overall),
                ]
            )
        block = [
            Paragraph(
                f"Lesion measurements ({course.criteria.value}; baseline {course.baseline.date}, "
                f"sum {recist.baseline_sum_mm} mm)",
                s["h2"],
            )
        ]
        if points:
            block.append(_spider(points, width))
        block.append(
            _table(
                sums,
                [20 * mm, 14 * mm, 18 * mm, 15 * mm, 18 * mm, 24 * mm, 23 * mm, 17 * mm, width - 149 * mm],
            )
        )
        story.append(KeepTogether(block))
        story.append(
            KeepTogether([Paragraph("Sizes of each lesion (mm)", s["h2"]), _lesion_table(course, width)])
        )

    # Rationale, caveats, key dates, interpretations, rule set
    story.append(Paragraph("Rationale", s["h2"]))
    story.append(
        ListFlowable(
            [ListItem(Paragraph(step, s["base"])) for step in r.rationale],
            bulletType="1",
            bulletFontName=FONT,
            bulletFontSize=8,
        )
    )
    story.append(Paragraph("Caveats", s["h2"]))
    if r.caveats:
        story.append(
            _table(
                [["Caveat", "What it means here"]]
                + [
                    [
                        Paragraph(cv.code.label, s["cell"]),
                        Paragraph(f"{cv.text}<br/><i>{CAVEAT_HELP[cv.code]}</i>", s["cell"]),
                    ]
                    for cv in r.caveats
                ],
                [62 * mm, width - 62 * mm],
            )
        )
    else:
        story.append(Paragraph("None.", s["base"]))
    k = r.key_dates
    keys = [
        ["Minimum exposure reached", str(k.min_exposure_reached)],
        ["6 months from first dose", str(k.benefit_threshold)],
        [
            "12 weeks after the last dose",
            "— (not used by Table 3 of the 2023 definitions)"
            if isinstance(r.ruleset, IciChemoRuleSet)
            else str(k.off_treatment_threshold or "— (no last dose)"),
        ],
    ]
    if k.opens and k.closes:
        keys.append(["Confirmation window", f"{k.opens} to {k.closes}"])
    story.append(
        KeepTogether(
            [Paragraph("Key dates", s["h2"]), _table(keys, [50 * mm, width - 50 * mm], header=False)]
        )
    )
    story.append(Paragraph("Interpretations that applied", s["h2"]))
    if r.interpretations:
        story.append(
            _table(
                [[i, Paragraph(INTERPRETATIONS[i], s["cell"])] for i in r.interpretations],
                [14 * mm, width - 14 * mm],
                header=False,
            )
        )
    else:
        story.append(
            Paragraph(
                "None: the SITC 2023 ICI-chemotherapy rule set is applied as Table 3 is written."
                if isinstance(r.ruleset, IciChemoRuleSet)
                else "None of the interpretations I-1 to I-5 changed this result.",
                s["base"],
            )
        )
    rs = r.ruleset
    overrides = rs.overrides
    params: list[list[Any]] = [["Parameter", "Value", "Meaning"]]
    for name, value in rs.parameters.to_json().items():
        shown = parameter_text(value)
        if name in overrides:
            shown += " (study override)"
        params.append(
            [
                Paragraph(parameter_label(name), s["cell"]),
                Paragraph(shown, s["cell"]),
                Paragraph(parameter_help(r, name), s["cell"]),
            ]
        )
    story.append(Paragraph(f"Rule set {ruleset_label(rs)} ({ruleset_citation(r)})", s["h2"]))
    story.append(_table(params, [48 * mm, 42 * mm, width - 90 * mm]))

    # Evidence and signature
    story.append(Paragraph("Evidence", s["h2"]))
    story.append(
        Paragraph(
            "The case file (resistdesk-case/1) this result was computed from and the classification "
            f"(JSON) are attached to this PDF. Case data SHA-256: <b>{content.case_sha256}</b>. "
            "A monitor can check the signature and re-classify the attached case with "
            "<i>resistdesk verify</i>.",
            s["base"],
        )
    )
    story.append(Paragraph("Investigator signature", s["h2"]))
    if content.signature is None:
        story.append(
            Paragraph(
                "<b>DRAFT — not signed.</b> Only an investigator can sign, after re-entering the password.",
                s["base"],
            )
        )
    else:
        sig = content.signature
        rows_sig = [
            ["Printed name", sig.printed_name],
            ["User id and role", f"{sig.user_id} ({role_label(sig.role)})"],
            ["Date and time", when_text(sig.signed_at)],
            ["Meaning of the signature", Paragraph(xml_escape(sig.meaning), s["cell"])],
            [
                "Electronic signature",
                "PAdES signature of this document with the investigator's own key, certified by "
                "the site CA (21 CFR 11.50, 11.70, 11.200)",
            ],
        ]
        slot = _SignatureSlot(*STAMP_SIZE, sig)
        story.append(
            KeepTogether([_table(rows_sig, [45 * mm, width - 45 * mm], header=False), Spacer(1, 4), slot])
        )
        placed.append(slot)

    def decorate(canvas: Canvas, _doc: Any) -> None:
        canvas.content = content

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_NumberedCanvas)
    place = None
    if content.signature is not None and placed and placed[0].where is not None:
        page, x, y = placed[0].where
        w, h = STAMP_SIZE
        place = StampPlace(page, (x, y, x + w, y + h), b"")
    return buf.getvalue(), place


@dataclass(frozen=True, slots=True)
class StampPlace:
    """Where the visible signature goes: page index and box (points); ``appearance_pdf``, when
    given, is imported as the field's appearance (else the field frames what the page prints)."""

    page: int
    box: tuple[float, float, float, float]
    appearance_pdf: bytes


class _SignatureSlot(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Space for the visible signature; remembers where on which page it was drawn."""

    def __init__(self, width: float, height: float, signature: SignatureBlock | None = None) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.signature = signature
        self.hAlign = "LEFT"
        self.where: tuple[int, float, float] | None = None

    def wrap(self, _avail_width: float, _avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self.where = (self.canv.getPageNumber() - 1, float(x), float(y))
        if self.signature is not None:
            _draw_stamp(self.canv, self.signature, self.width, self.height)


def stamp_appearance(sig: SignatureBlock, width: float, height: float) -> bytes:
    """The signature's look as a page of its own (fonts embedded), for viewers or tests."""
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), initialFontName=FONT, initialFontSize=8)
    _draw_stamp(c, sig, width, height)
    c.save()
    return buf.getvalue()


def _draw_stamp(c: Canvas, sig: SignatureBlock, width: float, height: float) -> None:
    """The visible signature, printed on the page where the signature field lies over it."""
    c.saveState()
    c.setStrokeColor(colors.HexColor("#1e8449"))
    c.setLineWidth(1.2)
    c.rect(0.6, 0.6, width - 1.2, height - 1.2)
    c.setFillColor(colors.HexColor("#1e8449"))
    c.setFont(BOLD, 8)
    c.drawString(6, height - 12, "Electronically signed by")
    c.setFillColor(colors.black)
    c.setFont(BOLD, 10)
    c.drawString(6, height - 25, sig.printed_name[:48])
    c.setFont(FONT, 7)
    c.drawString(6, height - 36, f"{role_label(sig.role)}, user id {sig.user_id}"[:70])
    c.drawString(6, height - 46, when_text(sig.signed_at)[:80])
    c.drawString(6, height - 56, (sig.meaning if len(sig.meaning) <= 70 else sig.meaning[:69] + "…"))
    c.restoreState()


def _manifestation(content: WorksheetContent) -> str:
    """Beside the decision: who signed, when (with the zone), and what the signature means."""
    sig = content.signature
    if sig is None:
        return (
            "<b>NOT SIGNED: draft for review.</b><br/>The investigator's printed name, the date and "
            "time of signing and the meaning of the signature will appear here."
        )
    return (
        f"<b>Signed by {xml_escape(sig.printed_name)}</b> ({xml_escape(role_label(sig.role))})<br/>"
        f"{when_text(sig.signed_at)}<br/><i>{xml_escape(sig.meaning)}</i>"
    )


def _lesion_table(course: Any, width: float) -> Table:
    """Every baseline lesion, its size at baseline and at each measured visit."""
    base = course.baseline
    visits = [a for a in course.assessments if a.lesions is not None]
    head = ["Lesion", "Organ", f"Baseline {base.date}"] + [str(a.date) for a in visits]
    rows: list[list[Any]] = [head]
    for t in base.targets:
        row = [f"{t.id} (target{', node' if t.nodal else ''})", t.organ or "—", f"{t.mm}"]
        for a in visits:
            value = dict(a.lesions.targets).get(t.id)
            row.append("—" if value is None else str(getattr(value, "value", value)))
        rows.append(row)
    for n in base.non_targets:
        row = [f"{n.id} (non-target)", n.organ or "—", "present"]
        for a in visits:
            status = dict(a.lesions.non_targets).get(n.id)
            code = getattr(status, "value", status)
            row.append(
                "—" if code is None else NON_TARGET_WORDS.get(str(code), code_words(str(code)).lower())
            )
        rows.append(row)
    first = [30 * mm, 24 * mm, 24 * mm]
    per_table = max(1, int((width - sum(first)) // (21 * mm)))
    if len(visits) <= per_table:
        other = (width - sum(first)) / max(1, len(visits))
        return _table(rows, first + [other] * len(visits))
    # Too many visits for one row of columns: one table per group of visits, stacked.
    parts: list[list[Any]] = []
    for start in range(0, len(visits), per_table):
        cols = list(range(3)) + [3 + k for k in range(start, min(start + per_table, len(visits)))]
        parts.extend([[r[c] for c in cols] + [""] * (3 + per_table - len(cols)) for r in rows])
    other = (width - sum(first)) / per_table
    heads = range(len(rows), len(parts), len(rows))  # each group's titles (dates) as a header row
    return _table(parts, first + [other] * per_table, more_heads=heads)
