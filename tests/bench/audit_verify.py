"""``audit verify`` on a study file, or its floor, in a fresh process: prints
``seconds peak_rss_kib`` (peak memory of this program image only, see memory.py).

    python -m tests.bench.audit_verify verify DB   # the whole check: integrity, chain, replay
    python -m tests.bench.audit_verify floor DB    # raw sqlite3: read every audit row and hash it
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

from tests.bench.memory import peak_rss_kib


def floor(db: Path) -> int:
    """Read the same audit rows with raw sqlite3 and hash each, chained, as the check does."""
    prev = "0" * 64
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        for row in conn.execute(
            "SELECT id, at_utc, user, action, entity, entity_id, field, old_value, new_value, reason, "
            "prev_hash, hash FROM audit_event ORDER BY id"
        ):
            payload = json.dumps(list(row[1:10]), ensure_ascii=False, separators=(",", ":"))
            prev = hashlib.sha256(f"{prev}\n{payload}".encode()).hexdigest()
    return len(prev)


def verify(db: Path) -> int:
    from core.store.audit import verify_study_file

    report = verify_study_file(db)
    if not report.ok:
        raise SystemExit(report.describe())
    return report.rows


def main(argv: list[str]) -> int:
    mode, db = argv[1], Path(argv[2])
    start = time.perf_counter()
    (verify if mode == "verify" else floor)(db)
    print(f"{time.perf_counter() - start:.4f} {peak_rss_kib()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
