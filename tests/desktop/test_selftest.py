"""`resistdesk --selftest` from source: the same check the installed bundle runs."""

from __future__ import annotations

import os
import subprocess

from tests.core.test_cli import EXE


def test_selftest_passes_from_source() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([EXE, "--selftest"], capture_output=True, text=True, timeout=180, env=env, check=False)
    assert r.returncode == 0, r.stderr
    for step in ("database and demo study", "classification", "main window", "worksheet render + sign",
                 "signature verification"):  # fmt: skip
        assert f"ok  {step}" in r.stdout
    assert "selftest passed" in r.stdout
