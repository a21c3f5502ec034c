"""Hypothesis strategies for hostile input: case files, roster CSVs and argument lists.

Each strategy mixes well-formed input (so successes happen and their round trip
is checked) with the hostile values of issue 15: huge and 2^63 integers, lone
surrogates, control and direction characters, formulas, implausible dates and
sizes, wrong types, deep nesting, duplicate keys, other encodings.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import strategies as st

from core.rules import Regimen, Response, Setting, StopReason

FIRST = dt.date(2015, 1, 1)
LAST = dt.date(2025, 12, 31)  # before "today" of any run, so valid cases can be stored

HOSTILE_TEXT = [
    "", " ", "\ud800", "a\udcffb", "S\x00", "S\x07", "mela\u202enoma", "\ufeffS", "x\u2028y",
    "=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =HYPERLINK(\"http://x\")",
    "9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2024-02-30", "٢٠٢٤-٠١-٠١", "2024-1-8",
    "2024-01-08\n", "45321", "x" * 5000, "NaN", "Infinity", "null", "true", "TSTM", "日本語",
]  # fmt: skip
HOSTILE_NUMBERS: list[Any] = [
    -1, 2**63, 2**63 - 1, -(2**63) - 1, 10**100, 10**4000, 1e308, -0.0, 0.1, 1000.0001, 1001, 101, 6,
]  # fmt: skip
HOSTILE_VALUES: list[Any] = [*HOSTILE_TEXT, *HOSTILE_NUMBERS, None, True, False, [], {}, [[[]]], {"a": 1}]


def hostile() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_VALUES),
        st.text(max_size=30),
        st.integers(),
        st.floats(allow_nan=False),
    )


def _day(lo: dt.date = FIRST, hi: dt.date = LAST) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=lo, max_value=hi)


SAFE_TEXT = (
    st.text(
        st.characters(codec="utf-8", categories=["L", "N", "Zs"]) | st.sampled_from(".,;:'()/&_ é—'\"ß"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda s: bool(s) and s[0] not in "=+-@")
)
IDS = st.from_regex(r"[A-Z]{2,4}-[0-9]{1,4}", fullmatch=True)


@st.composite
def valid_cases(draw: st.DrawFn, *, lesions: bool = True) -> dict[str, Any]:
    """A well-formed resistdesk-case/1 object, every date before LAST."""
    setting = draw(st.sampled_from(list(Setting)))
    first = draw(_day(FIRST, LAST - dt.timedelta(days=400)))
    case: dict[str, Any] = {
        "format": "resistdesk-case/1",
        "subject_id": draw(IDS),
        "tumor_type": draw(
            st.sampled_from(["melanoma", "NSCLC", "mélanome", "renal cell carcinoma"]) | SAFE_TEXT
        ),
        "setting": setting.value,
        "regimen": draw(st.sampled_from(list(Regimen))).value,
        "agent": draw(st.none() | st.sampled_from(["pembrolizumab", "nivolumab"]) | SAFE_TEXT),
        "first_dose": first.isoformat(),
        "indolent": draw(st.booleans()),
        "intercurrent_therapy": draw(st.booleans()),
    }
    if draw(st.booleans()):
        case["last_dose"] = draw(_day(first, LAST)).isoformat()
        case["discontinuation_reason"] = draw(st.none() | st.sampled_from(list(StopReason))) or None
        if case["discontinuation_reason"] is not None:
            case["discontinuation_reason"] = case["discontinuation_reason"].value
    if setting is Setting.NEOADJUVANT:
        case["surgery_date"] = draw(st.none() | _day(first, LAST).map(dt.date.isoformat))
        case["major_pathological_response"] = draw(st.none() | st.booleans())
        case["adjuvant_after_neoadjuvant"] = draw(st.booleans())
    targets: list[str] = []
    if lesions and draw(st.booleans()):
        n = draw(st.integers(1, 3))
        targets = [f"T{k + 1}" for k in range(n)]
        case["baseline"] = {
            "date": (first - dt.timedelta(days=draw(st.integers(0, 20)))).isoformat(),
            "targets": [
                {"id": t, "organ": f"organ {t}", "nodal": False, "mm": draw(st.integers(10, 300))}
                for t in targets
            ],
            "non_targets": [{"id": "NT1", "organ": "bone"}],
        }
    days = sorted(draw(st.lists(st.integers(1, 390), max_size=4, unique=True)))
    assessments = []
    for d in days:
        a: dict[str, Any] = {"date": (first + dt.timedelta(days=d)).isoformat()}
        if targets and draw(st.booleans()):
            a["lesions"] = {
                "targets": {t: draw(st.integers(0, 400) | st.sampled_from([None, "TSTM"])) for t in targets},
                "non_targets": {
                    "NT1": draw(st.sampled_from(["present", "absent", "unequivocal_progression"]))
                },
                "new_lesions": draw(st.sampled_from(["none", "equivocal", "unequivocal"])),
            }
        else:
            a["response"] = draw(st.sampled_from([r.value for r in Response]))
        if draw(st.booleans()):
            a["progressing_sites"] = draw(st.integers(0, 100))
            a["ecog"] = draw(st.integers(0, 5))
            a["notes"] = draw(SAFE_TEXT)
        assessments.append(a)
    case["assessments"] = assessments
    return case


CASE_PATHS = [
    ("subject_id",), ("tumor_type",), ("agent",), ("first_dose",), ("last_dose",), ("setting",),
    ("indolent",), ("surgery_date",), ("assessments",), ("assessments", 0, "date"),
    ("assessments", 0, "response"), ("assessments", 0, "progressing_sites"), ("assessments", 0, "ecog"),
    ("assessments", 0, "notes"), ("assessments", 0, "nodal_only"), ("baseline", "targets", 0, "mm"),
    ("baseline", "targets", 0, "id"), ("baseline", "date"), ("baseline", "non_targets"),
    ("assessments", 0, "lesions", "targets", "T1"), ("unknown_field",),
]  # fmt: skip


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        if (isinstance(obj, dict) and step in obj) or (
            isinstance(obj, list) and isinstance(step, int) and step < len(obj)
        ):
            obj = obj[step]
        else:
            return  # the path does not exist in this case: leave it well-formed
    if isinstance(obj, dict) or (isinstance(obj, list) and isinstance(path[-1], int) and path[-1] < len(obj)):
        obj[path[-1]] = value


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    case = draw(valid_cases())
    for _ in range(draw(st.integers(0, 3))):
        _set(case, draw(st.sampled_from(CASE_PATHS)), draw(hostile()))
    return case


@st.composite
def case_file_bytes(draw: st.DrawFn) -> bytes:
    """The bytes of a case file: a (mutated) case or an array, often damaged at the text level."""
    many = draw(st.booleans())
    cases = draw(st.lists(mutated_cases(), min_size=1, max_size=3)) if many else [draw(mutated_cases())]
    text = json.dumps(cases if many else cases[0], ensure_ascii=draw(st.booleans()))
    damage = draw(
        st.sampled_from(["none", "none", "duplicate", "deep", "number", "nan", "cut", "bytes", "bom"])
    )
    if damage == "duplicate":
        key = draw(st.sampled_from(['"response": ', '"tumor_type": ', '"first_dose": ', '"mm": ']))
        at = text.find(key)
        if at >= 0:
            text = f'{text[:at]}{key}"PD", {text[at:]}'
    elif damage == "deep":
        depth = draw(st.integers(15, 3000))
        text = text.replace('"assessments": [', '"assessments": [' + "[" * depth + "]" * depth + ", ", 1)
    elif damage == "number":
        text = text.replace('"first_dose"', f'"ecog": {"9" * draw(st.integers(19, 6000))}, "first_dose"', 1)
    elif damage == "nan":
        text = text.replace('"indolent": false', '"indolent": NaN', 1)
    elif damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    data = text.encode("utf-8", "surrogatepass")
    if damage == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    elif damage == "bom":
        data = draw(
            st.sampled_from([b"\xef\xbb\xbf" + data, b"\xff\xfe" + text.encode("utf-16-le", "surrogatepass")])
        )
    return data


# ---------------------------------------------------------------------------
# Roster CSVs

ROSTER_COLUMNS = [
    "subject_id", "tumor_type", "setting", "regimen", "agent", "first_dose", "last_dose",
    "discontinuation_reason", "indolent", "intercurrent_therapy", "surgery_date",
    "major_pathological_response", "adjuvant_after_neoadjuvant",
]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 13_000:  # str() refuses > 4,300 digits
        return "9" * 5_000  # the same kind of cell as a file would hold
    return str(value)


def _quote(cell: str, sep: str) -> str:
    if any(c in cell for c in (sep, '"', "\n", "\r")) or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def roster_csv_bytes(draw: st.DrawFn) -> bytes:
    """A roster CSV as a spreadsheet might save it, often with hostile cells or headers."""
    rows = draw(st.lists(valid_cases(lesions=False), min_size=1, max_size=4))
    for k, case in enumerate(rows):
        case["subject_id"] = f"{case['subject_id']}-{k}"  # distinct within the file
    columns = list(ROSTER_COLUMNS)
    header_damage = draw(st.sampled_from(["none"] * 6 + ["duplicate", "unknown", "missing", "empty"]))
    if header_damage == "duplicate":
        columns.append(draw(st.sampled_from(["tumor_type", "setting", "subject_id"])))
    elif header_damage == "unknown":
        columns.append(draw(st.sampled_from(["notes", "Tumor_Type", "assessments", "\ud800"])))
    elif header_damage == "missing":
        columns.remove(draw(st.sampled_from(["tumor_type", "first_dose"])))
    elif header_damage == "empty":
        columns.append("")
    table = [[_cell(case.get(c)) for c in columns] for case in rows]
    if header_damage == "duplicate":
        for row in table:
            row[-1] = "glioblastoma"  # the duplicated column must never silently win
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.sampled_from(table))
        row[draw(st.integers(0, len(row) - 1))] = _cell(draw(hostile()))
    if draw(st.integers(0, 9)) == 0:
        draw(st.sampled_from(table)).append("extra")
    sep = draw(st.sampled_from([",", ";"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(sep.join(_quote(c, sep) for c in row) for row in [columns, *table]) + newline
    if draw(st.integers(0, 9)) == 0:
        text += newline + sep * (len(columns) - 1) + newline  # Excel's empty rows
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "cp1251", "latin-1"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------
# Argument lists

OPTION_VALUES = st.sampled_from(
    ["", "-", "--", "2024-01-08", "9999-12-31", "0001-01-01", "2024-02-30", "x", "-1", "0", "7",
     str(2**63), "9" * 5000, "1e3", "\udcff", "a\x00b", "{dir}", "{missing}", "{case}", "{db}",
     "{garbage}", "benefit_days=" + "9" * 500, "benefit_days=-1", "=", "benefit_dayz=1"]
) | st.text(max_size=12)  # fmt: skip

COMMANDS = {
    "classify": ["--as-of", "--param", "--db", "--study", "--subject", "--user", "--compact"],
    "recist": ["--as-of", "--sd-min-days", "--confirm-response", "--compact"],
    "export": ["--db", "--user", "--study", "--subject", "--format", "-o"],
    "import": ["--db", "--user", "--study"],
    "import-roster": ["--db", "--user", "--study"],
    "audit log": ["--db", "--user", "--filter-user", "--entity", "--limit"],
    "study list": ["--db", "--user"],
    "worksheet": ["--db", "--subject", "-o", "--as-of", "--user"],
    "verify": ["--trust", "--db"],
    "backup": ["--db", "--user"],
}
FLAGS = {"--compact", "--confirm-response"}


@st.composite
def argument_lists(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from([*COMMANDS, "nosuch", ""]))
    argv = command.split()
    options = COMMANDS.get(command, ["--help", "--version", "--db"])
    for _ in range(draw(st.integers(0, 5))):
        option = draw(st.sampled_from([*options, "--nonsense"]))
        argv.append(option)
        if option not in FLAGS and draw(st.integers(0, 9)) > 0:
            argv.append(draw(OPTION_VALUES))
    for _ in range(draw(st.integers(0, 2))):
        argv.append(draw(OPTION_VALUES))
    return argv
