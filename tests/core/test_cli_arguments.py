"""Every command-line argument (issue 15): a bad value is named with exit status 2, never a
traceback; an unexpected error still ends in a short message."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from core import cli
from tests.core.test_cli import EXE, example


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_text("not a database", encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    return {"dir": tmp_path, "garbage": garbage, "other": other, "missing": tmp_path / "none" / "x.pdf"}


# (argv with {placeholders}, the argument the message must name)
BAD = [
    (["classify", "--as-of", "9999-12-31", "{case}"], "--as-of"),
    (["classify", "--as-of", "0001-01-01", "{case}"], "--as-of"),
    (["classify", "--as-of", "2024-02-30", "{case}"], "--as-of"),
    (["classify", "--as-of", "٢٠٢٤-٠١-٠١", "{case}"], "--as-of"),
    (["classify", "--db", "{dir}"], "--db"),
    (["classify", "--subject", "\udcff", "--db", "{garbage}"], "--subject"),
    (["classify", "\x00"], "FILE"),
    (["classify", "--param", "benefit_days=" + "9" * 5000, "{case}"], "benefit_days"),
    (["classify", "--param", "benefit_days=10", "{case}"], "benefit_days"),
    (["classify", "--nonsense"], "--nonsense"),
    (["recist", "--sd-min-days", "99999999999999999999", "{case}"], "--sd-min-days"),
    (["recist", "--sd-min-days", "-1", "{case}"], "--sd-min-days"),
    (["recist", "--sd-min-days", "1e3", "{case}"], "--sd-min-days"),
    (["recist"], "FILE"),
    (["audit", "log", "--limit", "0"], "--limit"),
    (["audit", "log", "--limit", str(2**63)], "--limit"),
    (["audit", "log", "--db", "{dir}"], "--db"),
    (["audit", "verify", "--db", "{garbage}"], "--db"),
    (["export", "--db", "{other}", "--user", "x"], "--db"),
    (["export", "--db", "{garbage}", "--subject", "x" * 500], "--subject"),
    (["init", "--db", "{other}", "--admin", "a", "--name", "A"], "--db"),
    (["init", "--db", "{dir}/new.sqlite3", "--admin", "a\tb", "--name", "A"], "--admin"),
    (["study", "add", "--protocol", "P\x07", "--title", "t"], "--protocol"),
    (["worksheet", "--subject", "x", "-o", "{dir}"], "--output"),
    (["worksheet", "--subject", "x", "-o", "{missing}"], "--output"),
    (["worksheet", "--subject", "x", "-o", "{dir}/w.pdf", "--as-of", "2101-01-01"], "--as-of"),
    (["verify", "{dir}/none.pdf", "--trust", "{case}"], "FILE.pdf"),
    (["verify", "{case}", "--trust", "{dir}"], "--trust"),
    (["restore", "{dir}"], "BACKUP"),
    (["import-roster", "{dir}"], "FILE.csv"),
    (["import-roster", "{dir}/none.csv"], "FILE.csv"),
    (["backup", "{missing}"], "PATH"),
    (["site-cert", "-o", "{dir}"], "--output"),
    (["user", "add", "new", "--name", "N", "--role", "emperor"], "--role"),
    (["nosuch"], "COMMAND"),
    (["audit"], "ACTION"),
]


@pytest.mark.parametrize(("argv", "named"), BAD)
def test_bad_arguments_are_named_with_exit_2(
    argv: list[str], named: str, paths: dict[str, Path], tmp_path: Path
) -> None:
    values = {k: str(v) for k, v in paths.items()} | {"case": example("primary-confirmed")}
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(*(a.format(**values) for a in argv))
    assert code == 2, err
    assert named in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created
    assert paths["garbage"].read_text(encoding="utf-8") == "not a database"


def test_missing_case_file_names_the_file(tmp_path: Path) -> None:
    code, _, err = run("classify", tmp_path / "nope.json")
    assert code == 2
    assert "nope.json" in err
    code, _, err = run("classify", tmp_path)
    assert code == 2
    assert "Is a directory" in err


def test_help_and_version_in_process() -> None:
    assert run("--version")[0] == 0
    assert run("classify", "--help")[0] == 0


def test_unexpected_errors_end_in_a_short_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("core.cli.cases.cmd_recist", broken)
    code, _, err = run("recist", example("primary-confirmed"))
    assert code == 1
    assert "internal error (ZeroDivisionError: 'a bug')" in err
    assert "Traceback" not in err

    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("core.cli.cases.cmd_recist", interrupted)
    assert run("recist", example("primary-confirmed"))[0] == 130


def test_write_errors_are_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> int:
        raise OSError(28, "No space left on device", str(tmp_path / "w.pdf"))

    monkeypatch.setattr("core.cli.signing.cmd_site_cert", full)
    code, _, err = run("site-cert", "-o", tmp_path / "c.pem")
    assert code == 1
    assert "w.pdf: No space left on device" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "--as-of", "9999-12-31", "x.json"],
        ["recist", "--sd-min-days", "1" * 30, "x.json"],
        ["export", "--db", "/"],
    ],
)
def test_the_installed_command_exits_2_without_traceback(argv: list[str]) -> None:
    r = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error: argument" in r.stderr


def test_opening_the_window_on_a_bad_db_is_refused_before_it_starts(tmp_path: Path) -> None:
    """`resistdesk --db PATH` (the window) checks PATH like every subcommand, and says why."""
    garbage = tmp_path / "notes.sqlite3"
    garbage.write_text("not a database", encoding="utf-8")
    for db, fragment in ((tmp_path, "is a folder"), (garbage, "not an SQLite file")):
        r = subprocess.run(
            [EXE, "--db", str(db)], capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )  # fmt: skip
        assert r.returncode == 2
        assert "argument --db" in r.stderr
        assert fragment in r.stderr
        assert "Traceback" not in r.stderr
    assert garbage.read_text(encoding="utf-8") == "not a database"
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["--db", str(garbage), "--selftest"], gui=lambda _a: 0, out=out, err=err) == 2
    assert "not an SQLite file" in err.getvalue()
