"""Synthetic, realistic studies for benchmarks and tests.

``synthetic_cases`` makes case files (resistdesk-case/1) with a mix of
settings, agents, tumor types and response patterns; ``bulk_load`` puts
thousands of them into a migrated database with plain SQL (the benchmarks
measure reading, not loading).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import sqlite3
from pathlib import Path
from typing import Any

from core.store.migrate import migrate

TUMORS = ("melanoma", "non-small cell lung cancer", "renal cell carcinoma", "urothelial carcinoma",
          "head and neck squamous cell carcinoma", "MSI-high colorectal cancer", "Merkel cell carcinoma")  # fmt: skip
AGENTS = ("pembrolizumab", "nivolumab", "atezolizumab", "durvalumab", "cemiplimab", "avelumab")
PATTERNS = (
    ["SD", "SD", "SD", "PD", "PD"],  # primary or secondary depending on timing
    ["PR", "PR", "CR", "CR", "CR"],  # responder
    ["SD", "PD"],  # early progression, pending
    ["PD", "PR", "PR"],  # pseudoprogression
    ["SD", "SD", "SD", "SD", "SD", "SD", "PD", "PD"],  # durable SD then PD
    ["NE", "SD", "PR", "PR", "PD"],
)


def synthetic_cases(
    n: int, visits: int = 10, seed: int = 20261124, today: dt.date | None = None
) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    today = today or dt.date(2026, 11, 24)
    cases = []
    for k in range(n):
        first = today - dt.timedelta(days=rnd.randint(visits * 42 + 10, visits * 42 + 400))
        pattern = list(rnd.choice(PATTERNS))
        while len(pattern) < visits:
            pattern.append(pattern[-1])
        setting = "adjuvant" if k % 9 == 0 else "advanced"
        responses = ["NED" if setting == "adjuvant" and r != "PD" else r for r in pattern[:visits]]
        cases.append(
            {
                "format": "resistdesk-case/1",
                "subject_id": f"S{k:05d}",
                "tumor_type": rnd.choice(TUMORS),
                "setting": setting,
                "regimen": "monotherapy",
                "agent": rnd.choice(AGENTS),
                "first_dose": first.isoformat(),
                "assessments": [
                    {
                        "date": (first + dt.timedelta(days=42 * (j + 1) + rnd.randint(-3, 3))).isoformat(),
                        "response": r,
                    }
                    for j, r in enumerate(responses)
                ],
            }
        )
    return cases


def bulk_load(db: Path, cases: list[dict[str, Any]], protocol: str = "BENCH-1") -> None:
    """A migrated database holding one study with these subjects (plain SQL, one transaction)."""
    migrate(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        cur = conn.execute(
            "INSERT INTO study (protocol_id, title, sponsor, site, criteria, rule_overrides, enrolled_categories, "
            "is_demo, paper_size) VALUES (?, 'Benchmark study', '', '', 'RECIST 1.1', '{}', '[]', 0, 'A4')",
            (protocol,),
        )
        study_id = cur.lastrowid
        for c in cases:
            sid = conn.execute(
                "INSERT INTO subject (study_id, subject_code, tumor_type, indolent, setting, status) "
                "VALUES (?, ?, ?, 0, ?, 'active')",
                (study_id, c["subject_id"], c["tumor_type"], c["setting"]),
            ).lastrowid
            conn.execute(
                "INSERT INTO course (subject_id, agent, regimen, first_dose, intercurrent_therapy, "
                "adjuvant_after_neoadjuvant) VALUES (?, ?, ?, ?, 0, 0)",
                (sid, c["agent"], c["regimen"], c["first_dose"]),
            )
            conn.executemany(
                "INSERT INTO assessment (subject_id, date, modality, response, clinical_progression, symptomatic, "
                "nodal_only, multiple_metastases, notes) VALUES (?, ?, 'CT', ?, 0, 0, 0, 0, '')",
                [(sid, a["date"], a["response"]) for a in c["assessments"]],
            )
