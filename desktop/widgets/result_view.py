"""The classification laid out for reading: category, rule, confirmation
window, rationale steps, caveats with their explanations, key dates, the
interpretations that applied, and the rule set with every parameter."""

from __future__ import annotations

import html

from PySide6.QtGui import QPalette

from core.presentation import (
    category_label,
    confirmation_text,
    parameter_help,
    parameter_label,
    parameter_text,
    ruleset_citation,
    ruleset_label,
)
from core.rules import CATEGORY_LABELS, CAVEAT_HELP, Classification
from desktop.style import CATEGORY_COLOURS, URGENCY_COLOURS, muted, readable


def result_html(subject_id: str, result: Classification, *, full: bool = True, paper: bool = False) -> str:
    """The classification panel; ``paper``: for print, in the colours as given (on white),
    not those that read on the screen's palette (a dark one lightens them)."""
    e = html.escape
    base = QPalette.ColorRole.Base

    def ink(hex_colour: str) -> str:
        return hex_colour if paper else readable(hex_colour, base)

    grey = "#6c7a7b" if paper else muted(base)
    colour = CATEGORY_COLOURS[result.category]
    parts = [
        f"<h2 style='margin-bottom:2px'>{e(subject_id)}</h2>",
        f"<p><span style='background:{colour};color:white;font-weight:bold;font-size:large'>"
        f"&nbsp;{e(category_label(result))}&nbsp;</span>"
        f" <span style='color:{grey}'>({e(ruleset_label(result.ruleset))})</span>",
    ]
    if result.provisional_category:
        parts.append(f" &nbsp;provisionally <b>{e(CATEGORY_LABELS[result.provisional_category])}</b>")
    parts.append("</p><table cellspacing='3'>")
    facts = [
        ("Rule set", f"{ruleset_label(result.ruleset)} ({ruleset_citation(result)})"),
        ("Rule", result.rule.value if result.rule else "—"),
        ("Progression date", str(result.progression_date or "—")),
    ]
    c = result.confirmation
    facts.append(("Confirmation", confirmation_text(c.required, c.status, c.date)))
    if c.opens and c.closes:
        window = f"{c.opens} to {c.closes}"
        if c.due_status:
            tint = ink(URGENCY_COLOURS.get(c.due_status, "#000"))
            window += f" <b style='color:{tint}'>({e(c.due_status.replace('_', ' '))})</b>"
        facts.append(("Confirmation window", window))
    if result.reason:
        facts.append(("Reason", e(result.reason)))
    parts += [
        f"<tr><td><b>{e(k)}</b></td><td>{v if k == 'Confirmation window' else e(v)}</td></tr>"
        for k, v in facts
    ]
    parts.append("</table><h3>Rationale</h3><ol>")
    parts += [f"<li>{e(step)}</li>" for step in result.rationale]
    parts.append("</ol>")
    if result.caveats:
        parts.append("<h3>Caveats</h3><ul>")
        parts += [
            f"<li title='{e(cv.code.value)}'><b>{e(cv.code.label)}</b>: {e(cv.text)}"
            f"<br><i>{e(CAVEAT_HELP[cv.code])}</i></li>"
            for cv in result.caveats
        ]
        parts.append("</ul>")
    k = result.key_dates
    parts.append("<h3>Key dates</h3><ul>")
    parts.append(f"<li>Minimum exposure reached: {k.min_exposure_reached}</li>")
    parts.append(f"<li>6 months from first dose: {k.benefit_threshold}</li>")
    if k.off_treatment_threshold:
        parts.append(f"<li>12 weeks after the last dose: {k.off_treatment_threshold}</li>")
    if k.opens and k.closes:
        parts.append(f"<li>Confirmation window: {k.opens} to {k.closes}</li>")
    parts.append("</ul>")
    if result.interpretations:
        parts.append("<h3>Interpretations applied</h3><ul>")
        parts += [f"<li><b>{e(i)}</b>: {e(text)}</li>" for i, text in _interpretations(result)]
        parts.append("</ul>")
    if full:
        rs = result.ruleset
        parts.append(
            f"<h3>Rule set {e(ruleset_label(rs))}</h3><p>{e(ruleset_citation(result))}</p>"
            "<table cellspacing='2'>"
        )
        overrides = rs.overrides
        for name, value in rs.parameters.to_json().items():
            shown = parameter_text(value)
            mark = " <b>(study override)</b>" if name in overrides else ""
            tip = f"{e(name)}: {e(parameter_help(result, name))}"
            label = e(parameter_label(name))
            parts.append(f"<tr><td title='{tip}'>{label}</td><td>{e(shown)}{mark}</td></tr>")
        parts.append(f"</table><p style='color:{grey}'>Classified as of {result.as_of}.</p>")
    return "".join(parts)


def _interpretations(result: Classification) -> list[tuple[str, str]]:
    from core.rules import INTERPRETATIONS

    return [(i, INTERPRETATIONS[i]) for i in result.interpretations]
