"""The ``resistdesk`` command line (subcommands for scripting and monitors).

``main(argv, gui=...)`` runs a subcommand; with none it calls ``gui`` (the
desktop launcher passes the application), so the core never imports Qt.
Exit status: 0 success, 2 malformed input (the message names the file, the
case and the field), 1 any other failure.

One module per group of subcommands, each with its ``register(sub)``; they
share ``core.cli.common`` and never import this package or each other in a
circle:

- ``cases``     classify, recist (case files)
- ``admin``     init, demo, user, study
- ``data``      export, import, import-roster, classify --db
- ``files``     backup, restore
- ``audit``     audit verify, audit log
- ``signing``   worksheet, site-cert, verify
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from core import __version__
from core.cli.common import EXIT_FAILURE, EXIT_MALFORMED, EXIT_OK, date_arg, load_case_files

__all__ = ["EXIT_FAILURE", "EXIT_MALFORMED", "EXIT_OK", "build_parser", "date_arg", "load_case_files", "main"]

GuiLauncher = Callable[[argparse.Namespace], int]


def build_parser(with_gui: bool) -> argparse.ArgumentParser:
    from core.cli import admin, audit, cases, data, files, signing

    parser = argparse.ArgumentParser(
        prog="resistdesk",
        description=(
            "ResistDesk: SITC 2020 PD-(L)1 resistance classification for clinical-trial sites."
            + (" Without a subcommand, opens the desktop application." if with_gui else "")
        ),
    )
    parser.add_argument("--version", action="version", version=f"resistdesk {__version__}")
    if with_gui:
        parser.add_argument("--db", type=Path, help="study database to open (default: user data directory)")
        parser.add_argument(
            "--selftest",
            action="store_true",
            help="check this installation end to end, offscreen, in a temporary folder, and exit",
        )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (cases, admin, data, files, signing, audit):
        module.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    gui: GuiLauncher | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser(with_gui=gui is not None)
    args = parser.parse_args(argv)
    if args.command is None:
        if gui is None:
            parser.print_help(out)
            return EXIT_OK
        return gui(args)
    code: int = args.handler(args, out, err)
    return code


if __name__ == "__main__":
    sys.exit(main())
