"""The demo study: about 40 realistic subjects (PD-(L)1 monotherapy, and
PD-(L)1 + chemotherapy under SITC-2023-ICI-chemo) dated relative to today, so
a new user sees every category, confirmations due (open, overdue, opening
soon) and lesion-measured visits at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import select

from core.casefile import parse_case
from core.store import models as m
from core.store.errors import StoreError
from core.store.passwords import give_own_key
from core.store.site_keys import certificate_queue, create_site_ca
from core.store.store import Actor, Store
from core.store.users import Role

DEMO_PROTOCOL = "DEMO-PD1-R"
DEMO_USERS = (
    ("admin", "Avery Admin", Role.ADMINISTRATOR),
    ("coordinator", "Casey Coordinator", Role.COORDINATOR),
    ("investigator", "Dr. Ines Investigator", Role.INVESTIGATOR),
)

V = tuple[int, str] | tuple[int, str, dict[str, Any]]

# (code, tumor, days since first dose, visits (day, response[, flags]), extra case fields)
TEMPLATES: list[tuple[str, str, int, list[V], dict[str, Any]]] = [
    ("MEL-001", "melanoma", 200, [(49, "SD"), (105, "PD"), (140, "PD")], {}),
    ("MEL-002", "melanoma", 140, [(49, "SD"), (105, "PD")], {}),
    ("NSCLC-003", "non-small cell lung cancer", 200, [(49, "SD"), (105, "PD")], {}),
    ("RCC-004", "renal cell carcinoma", 115, [(49, "SD"), (105, "PD")], {}),
    ("MEL-005", "melanoma", 220, [(49, "PD"), (84, "PR"), (140, "PR")], {}),
    (
        "HNSCC-006",
        "head and neck squamous cell carcinoma",
        100,
        [(63, "PD", {"clinical_progression": True, "ecog": 3})],
        {},
    ),
    ("NSCLC-007", "non-small cell lung cancer", 90, [(35, "PD", {"clinical_progression": True})], {}),
    ("MEL-008", "melanoma", 250, [(49, "PR"), (140, "PD"), (175, "PD")], {}),
    (
        "RCC-009",
        "renal cell carcinoma",
        400,
        [(63, "SD"), (126, "SD"), (189, "SD"), (252, "PD"), (294, "PD")],
        {},
    ),
    ("MEL-010", "melanoma", 290, [(63, "PR"), (126, "CR"), (260, "PD")], {}),
    (
        "NSCLC-011",
        "non-small cell lung cancer",
        300,
        [(63, "PR"), (140, "PD"), (175, "PD")],
        {"last": 77, "reason": "toxicity"},
    ),
    (
        "MEL-012",
        "melanoma",
        900,
        [(63, "PR"), (189, "CR"), (600, "PD"), (640, "PD")],
        {"last": 364, "reason": "maximal_benefit"},
    ),
    ("UC-013", "urothelial carcinoma", 300, [(56, "SD"), (120, "PD")], {"last": 63, "reason": "toxicity"}),
    (
        "MEL-014",
        "melanoma",
        400,
        [(150, "NED"), (350, "PD", {"biopsy_confirms_progression": True})],
        {"setting": "adjuvant", "last": 300, "reason": "completed"},
    ),
    (
        "MEL-015",
        "melanoma",
        500,
        [(150, "NED"), (450, "PD")],
        {"setting": "adjuvant", "last": 300, "reason": "completed"},
    ),
    (
        "NSCLC-016",
        "non-small cell lung cancer",
        500,
        [(400, "PD"), (440, "PD")],
        {
            "setting": "neoadjuvant",
            "last": 42,
            "reason": "completed",
            "surgery": 56,
            "major_pathological_response": True,
        },
    ),
    (
        "MEL-017",
        "melanoma",
        480,
        [(380, "PD"), (420, "PD")],
        {
            "setting": "neoadjuvant",
            "last": 42,
            "reason": "completed",
            "surgery": 56,
            "major_pathological_response": False,
        },
    ),
    (
        "MEL-018",
        "melanoma",
        300,
        [(63, "PD"), (100, "PD")],
        {"regimen": "combination", "agent": "nivolumab + ipilimumab"},
    ),
    ("HCC-019", "hepatocellular carcinoma", 200, [(63, "PD"), (100, "PD")], {"agent": "atezolizumab"}),
    ("CRC-020", "MSI-high colorectal cancer", 300, [(63, "NE"), (200, "PD"), (240, "PD")], {}),
    ("MCC-021", "Merkel cell carcinoma", 120, [(56, "SD"), (112, "PR")], {"agent": "avelumab"}),
    (
        "CSCC-022",
        "cutaneous squamous cell carcinoma",
        400,
        [(63, "PR"), (189, "CR"), (315, "CR")],
        {"agent": "cemiplimab"},
    ),
    (
        "RCC-023",
        "renal cell carcinoma",
        300,
        [(63, "PR"), (252, "PD", {"nodal_only": True}), (287, "PD")],
        {},
    ),
    (
        "NSCLC-024",
        "non-small cell lung cancer",
        320,
        [(63, "PR"), (260, "PD", {"multiple_metastases": True, "progressing_sites": 1}), (295, "PD")],
        {},
    ),
    ("MEL-025", "melanoma", 160, [(49, "SD"), (105, "PD"), (119, "PD")], {}),
    (
        "NET-026",
        "well-differentiated neuroendocrine tumor",
        250,
        [(63, "SD"), (126, "SD"), (200, "PD"), (235, "PD")],
        {"indolent": True},
    ),
    (
        "TNBC-027",
        "triple-negative breast cancer",
        260,
        [(49, "SD"), (105, "PD"), (200, "PD")],
        {"agent": "study-mab-42"},
    ),
]

# PD-(L)1 + chemotherapy, classified under SITC-2023-ICI-chemo (Rizvi et al., JITC 2023, Table 3):
# one subject per category of that rule set, plus an ICI + chemotherapy + bevacizumab course
# that no rule set covers.
PEMBRO_CHEMO = "pembrolizumab + carboplatin + pemetrexed"
CHEMO_TEMPLATES: list[tuple[str, str, int, list[V], dict[str, Any]]] = [
    ("NSCLC-032", "non-small cell lung cancer", 150, [(42, "SD"), (98, "PD")], {}),
    ("SCLC-033", "small cell lung cancer", 60, [(21, "PD", {"rapid_progression": True, "ecog": 2})],
     {"agent": "atezolizumab + carboplatin + etoposide", "last": 21, "reason": "progression"}),
    ("GC-034", "gastric adenocarcinoma", 60, [(30, "PD")],
     {"agent": "nivolumab + oxaliplatin + capecitabine"}),
    ("NSCLC-035", "non-small cell lung cancer", 330, [(42, "PR"), (126, "PR"), (210, "SD"), (294, "PD")],
     {"agent": "pembrolizumab + carboplatin + paclitaxel"}),
    ("HNSCC-036", "head and neck squamous cell carcinoma", 300, [(42, "PR"), (250, "PD")],
     {"agent": "pembrolizumab + cisplatin + fluorouracil", "last": 126, "reason": "completed"}),
    ("TNBC-037", "triple-negative breast cancer", 200, [(42, "SD"), (98, "PR"), (168, "PR")],
     {"agent": "pembrolizumab + nab-paclitaxel"}),
    ("NSCLC-038", "non-small cell lung cancer", 120, [(56, "PD"), (98, "SD")],
     {"regimen": "monotherapy"}),
    ("NSCLC-039", "non-small cell lung cancer", 160, [(63, "SD"), (126, "PD")],
     {"regimen": "combination", "agent": "atezolizumab + bevacizumab + carboplatin + paclitaxel"}),
    ("NSCLC-040", "non-small cell lung cancer", 400, [(300, "PD")],
     {"setting": "neoadjuvant", "agent": "nivolumab + carboplatin + paclitaxel", "last": 63,
      "reason": "completed", "surgery": 84, "major_pathological_response": False}),
]  # fmt: skip

# Lesion-measured subjects: (code, tumor, days since first dose, baseline, visits (day, lesions[, response]))
MEASURED: list[tuple[str, str, int, dict[str, Any], list[tuple[int, dict[str, Any], str | None]]]] = [
    ("NSCLC-028", "non-small cell lung cancer", 180,
     {"targets": [("T1", "liver", False, 32), ("T2", "lymph node", True, 18)],
      "non_targets": [("NT1", "bone")]},
     [(56, {"T1": 20, "T2": 12}, None), (112, {"T1": 18, "T2": 9}, None), (168, {"T1": 26, "T2": 14}, None)]),
    ("MEL-029", "melanoma", 330,
     {"targets": [("T1", "lung", False, 40), ("T2", "liver", False, 25)], "non_targets": []},
     [(63, {"T1": 35, "T2": 23}, None), (126, {"T1": 33, "T2": 22}, None), (189, {"T1": 32, "T2": 22}, None),
      (252, {"T1": 40, "T2": 26}, None), (287, {"T1": 43, "T2": 27}, None)]),
    ("RCC-030", "renal cell carcinoma", 150,
     {"targets": [("T1", "kidney", False, 50)], "non_targets": [("NT1", "bone")]},
     [(56, {"T1": 34}, "SD")]),
    ("UC-031", "urothelial carcinoma", 160,
     {"targets": [], "non_targets": [("NT1", "bone"), ("NT2", "peritoneum")]},
     [(56, {}, None), (112, {"new": "unequivocal"}, None),
      (147, {"NT1": "unequivocal_progression", "new": "unequivocal"}, None)]),
]  # fmt: skip


def _day(today: dt.date, since_first: int, n: int) -> str:
    return (today - dt.timedelta(days=since_first - n)).isoformat()


def demo_cases(today: dt.date) -> list[dict[str, Any]]:
    """The demo subjects as case objects, dated so that ``today`` is each one's last day."""
    cases: list[dict[str, Any]] = []
    chemo_codes = {t[0] for t in CHEMO_TEMPLATES}
    for code, tumor, span, visits, extra in [*TEMPLATES, *CHEMO_TEMPLATES]:
        opts = dict(extra)
        chemo = code in chemo_codes
        case: dict[str, Any] = {
            "subject_id": code,
            "tumor_type": tumor,
            "setting": opts.pop("setting", "advanced"),
            "regimen": opts.pop("regimen", "ici_chemotherapy" if chemo else "monotherapy"),
            "agent": opts.pop(
                "agent",
                PEMBRO_CHEMO
                if chemo
                else "pembrolizumab"
                if code.startswith(("MEL", "HNSCC", "UC"))
                else "nivolumab",
            ),
            "first_dose": _day(today, span, 0),
            "indolent": opts.pop("indolent", False),
            "assessments": [
                {"date": _day(today, span, v[0]), "response": v[1], **(v[2] if len(v) > 2 else {})}
                for v in visits
            ],
        }
        if "last" in opts:
            case["last_dose"] = _day(today, span, opts.pop("last"))
            case["discontinuation_reason"] = opts.pop("reason")
        if "surgery" in opts:
            case["surgery_date"] = _day(today, span, opts.pop("surgery"))
        case.update(opts)
        cases.append(case)
    for code, tumor, span, base, points in MEASURED:
        case = {
            "subject_id": code,
            "tumor_type": tumor,
            "setting": "advanced",
            "regimen": "monotherapy",
            "agent": "pembrolizumab",
            "first_dose": _day(today, span, 0),
            "criteria": "RECIST 1.1",
            "baseline": {
                "date": _day(today, span, -6),
                "targets": [{"id": i, "organ": o, "nodal": n, "mm": mm} for i, o, n, mm in base["targets"]],
                "non_targets": [{"id": i, "organ": o} for i, o in base["non_targets"]],
            },
            "assessments": [],
        }
        target_ids = [t[0] for t in base["targets"]]
        nt_ids = [t[0] for t in base["non_targets"]]
        for n, values, response in points:
            lesions = {
                "targets": {t: values[t] for t in target_ids},
                "non_targets": {t: values.get(t, "present") for t in nt_ids},
                "new_lesions": values.get("new", "none"),
            }
            visit: dict[str, Any] = {"date": _day(today, span, n), "lesions": lesions}
            if response:
                visit["response"] = response
            case["assessments"].append(visit)
        cases.append(case)
    return cases


def create_demo(db_path: Path, password: str, today: dt.date | None = None) -> Store:
    """A new database holding the demo study and the three demo accounts.

    The person creating the demo chooses one password for the three fictional accounts; it is
    theirs, so the accounts need not change it, and it is also the demo CA's passphrase. Each
    account gets its own key pair, and the investigator a certificate.
    """
    store = Store.open(db_path, backup_daily=False)
    if store.has_users() or store.studies():
        store.close()
        raise StoreError(f"{db_path} already holds data; the demo needs a new database")
    today = today or store.today()
    admin: Actor | None = None
    for username, name, role in DEMO_USERS:
        made = store.create_user(admin, username, name, role, password)
        admin = admin or made
    assert admin is not None
    study = store.create_study(
        admin,
        DEMO_PROTOCOL,
        "Demo: a phase 2 trial after PD-(L)1 failure",
        sponsor="Demo Oncology",
        site="Site 101",
        enrolled_categories=["primary_resistance", "secondary_resistance"],
        enrolled_regimens=["ici_chemotherapy", "monotherapy"],
        is_demo=True,
    )
    assert study.id is not None
    store.import_cases(admin, study.id, [parse_case(c) for c in demo_cases(today)], reason="demo study")
    _own_passwords(store, admin, password)
    # The coordinator keeps the demo's CA (administrators never run it); one password for all.
    custodian = next(u for u in store.users() if u.username == "coordinator")
    keeper = Actor(custodian.username, Role.COORDINATOR, custodian.full_name, custodian.id)
    create_site_ca(
        store, keeper, password, site="Site 101", study=DEMO_PROTOCOL, same_as_password=True,
        approved=certificate_queue(store),  # the demo's investigator chose nothing: no one to ask
    )  # fmt: skip
    return store


def _own_passwords(store: Store, admin: Actor, password: str) -> None:
    """The demo's accounts keep the password the demo's creator typed (see create_demo)."""
    with store.writing(admin, "user.create") as tx:
        for user in tx.session.exec(select(m.UserAccount)).all():
            if user.must_change_password:
                tx.update(user, {"must_change_password": False}, reason="demo account")
                give_own_key(tx, user, password)
