"""Console entry point ``resistdesk``: subcommands run headless from ``core.cli``;
with no subcommand the desktop application opens. Qt is imported only then,
so ``resistdesk classify`` starts fast and works without a display."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _run_gui(args: argparse.Namespace) -> int:
    if getattr(args, "selftest", False):
        from desktop.selftest import run as selftest

        return selftest()
    try:
        from desktop.app import run
    except ImportError as exc:  # Qt's system libraries are missing: say which, don't crash
        sys.stderr.write(
            f"ResistDesk cannot start its window: {exc}.\n"
            "Install the system libraries Qt needs (Debian/Ubuntu: libegl1 libgl1 libxkbcommon0 "
            "libfontconfig1 libdbus-1-3 libxcb-cursor0), or use the command-line subcommands.\n"
        )
        return 3
    return run(args)


def gui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments when they only open the application (``--db PATH``, ``--selftest``);
    None for anything else (a subcommand, ``--help``, a mistake), which the full
    command line handles. Opening the application this way skips building the
    command-line parser, which imports the classifier before the window shows."""
    args = argparse.Namespace(command=None, db=None, selftest=False)
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--selftest":
            args.selftest = True
        elif word == "--db" and rest and not rest[0].startswith("-"):
            args.db = Path(rest.pop(0))
        elif word.startswith("--db=") and len(word) > len("--db="):
            args.db = Path(word[len("--db=") :])
        else:
            return None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = gui_arguments(sys.argv[1:] if argv is None else argv)
    if args is not None:
        if args.db is not None:  # a folder or another program's file: say so here, not in a window
            from core.dbfile import check_database_arg
            from core.errors import InputError

            try:
                check_database_arg(args.db)
            except InputError as exc:
                sys.stderr.write(f"resistdesk: error: argument {exc}\n")
                return 2
        return _run_gui(args)
    from core.cli import main as cli_main

    return cli_main(argv, gui=_run_gui)


if __name__ == "__main__":
    sys.exit(main())
