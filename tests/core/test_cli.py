"""The command line, run as a user would: a subprocess of the installed entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import __version__
from core.paths import resource
from tests.core.helpers import case, visit

EXE = shutil.which("resistdesk", path=str(Path(sys.executable).parent)) or "resistdesk"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


def write(tmp_path: Path, name: str, obj: Any) -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(obj), encoding="utf-8")
    return f


def example(name: str) -> str:
    return str(resource("examples", "cases", f"{name}.json"))


def test_version_and_help() -> None:
    assert cli("--version").stdout.strip() == f"resistdesk {__version__}"
    out = cli("--help").stdout
    assert "classify" in out
    assert "recist" in out
    out = cli("classify", "--help").stdout
    assert "--as-of" in out
    assert "--param" in out


def test_classify_one_file_prints_one_object() -> None:
    r = cli("classify", "--as-of", "2024-06-06", example("primary-confirmed"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["category"] == "primary_resistance"
    assert out["rule"] == "SITC-2020 Table 1 primary"
    assert out["confirmation"]["date"] == "2024-05-27"
    assert out["as_of"] == "2024-06-06"


def test_classify_array_prints_array(tmp_path: Path) -> None:
    f = write(tmp_path, "two.json", [case(visit(49, "SD")), case(visit(49, "PD"))])
    r = cli("classify", "--as-of", "2024-03-01", f)
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert [o["category"] for o in out] == ["no_progression", "pending_confirmation"]


def test_classify_several_files_compact() -> None:
    r = cli(
        "classify", "--compact", "--as-of", "2025-01-01",
        example("primary-confirmed"), example("combination-not-covered"),
    )  # fmt: skip
    lines = r.stdout.splitlines()
    assert r.returncode == 0
    assert len(lines) == 2
    assert json.loads(lines[1])["category"] == "not_applicable"


def test_as_of_defaults_to_today() -> None:
    r = cli("classify", example("primary-confirmed"))
    assert r.returncode == 0
    assert json.loads(r.stdout)["as_of"] >= "2026-01-01"


def test_param_override_is_applied_and_recorded() -> None:
    r = cli(
        "classify",
        "--as-of",
        "2025-02-11",
        "--param",
        "benefit_days=300",
        example("secondary-after-durable-sd"),
    )
    out = json.loads(r.stdout)
    assert out["category"] == "primary_resistance"
    assert out["ruleset"]["overrides"] == {"benefit_days": 300}


@pytest.mark.parametrize(
    "param", ["benefit_dayz=1", "benefit_days=six", "secondary_requires_confirmation=maybe"]
)
def test_bad_param_exits_2(param: str) -> None:
    r = cli("classify", "--param", param, example("primary-confirmed"))
    assert r.returncode == 2
    assert param.split("=")[0] in r.stderr
    assert r.stdout == ""


def test_malformed_case_exits_2_and_names_file_case_field(tmp_path: Path) -> None:
    bad = case(visit(49, "SD"))
    bad["assessments"][0]["date"] = "2024-02-30"
    f = write(tmp_path, "bad.json", [case(visit(49, "SD")), bad])
    r = cli("classify", "--as-of", "2024-06-01", f, example("primary-confirmed"))
    assert r.returncode == 2
    assert "bad.json" in r.stderr
    assert "case 2" in r.stderr
    assert "assessments[0].date" in r.stderr
    # The bad file prints nothing (no half array); the good one still prints.
    assert json.loads(r.stdout)["subject_id"] == "primary-confirmed"


def test_missing_file_and_bad_date_option(tmp_path: Path) -> None:
    r = cli("classify", tmp_path / "nope.json")
    assert r.returncode == 2
    assert "nope.json" in r.stderr
    r = cli("classify", "--as-of", "2024-02-30", example("primary-confirmed"))
    assert r.returncode == 2
    assert "--as-of" in r.stderr
