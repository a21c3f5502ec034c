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
from typing import TextIO

from core import __version__, limits
from core.cli.common import (
    EXIT_FAILURE,
    EXIT_MALFORMED,
    EXIT_OK,
    ArgumentParser,
    UsageError,
    database_file,
    date_arg,
    load_case_files,
)
from core.dbfile import check_database_arg
from core.errors import InputError

__all__ = ["EXIT_FAILURE", "EXIT_MALFORMED", "EXIT_OK", "build_parser", "date_arg", "load_case_files", "main"]

GuiLauncher = Callable[[argparse.Namespace], int]
EXIT_INTERRUPTED = 130


def build_parser(with_gui: bool) -> argparse.ArgumentParser:
    from core.cli import admin, audit, cases, data, files, keys, signing

    parser = ArgumentParser(
        prog="resistdesk",
        description=(
            "ResistDesk: SITC PD-(L)1 resistance classification (2020 monotherapy, "
            "2023 ICI-chemotherapy) for clinical-trial sites."
            + (" Without a subcommand, opens the desktop application." if with_gui else "")
        ),
    )
    parser.add_argument("--version", action="version", version=f"resistdesk {__version__}")
    if with_gui:
        parser.add_argument(
            "--db", type=database_file, help="study database to open (default: user data directory)"
        )
        parser.add_argument(
            "--selftest",
            action="store_true",
            help="check this installation end to end, offscreen, in a temporary folder, and exit",
        )
    parser.set_defaults(db=None)  # each subcommand's --db, when given, overrides the global one
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (cases, admin, data, files, signing, keys, audit):
        module.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    gui: GuiLauncher | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command line; every outcome is an exit status and a message, never a traceback:
    0 success, 2 malformed input or arguments (named), 1 any other failure, 130 interrupted."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        parser = build_parser(with_gui=gui is not None)
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            err.write(f"{exc}\n")
            return EXIT_MALFORMED
        except SystemExit as exc:  # --help and --version print, then exit 0
            return exc.code if isinstance(exc.code, int) else EXIT_MALFORMED
        if args.command is None:
            if gui is None:
                parser.print_help(out)
                return EXIT_OK
            if getattr(args, "db", None) is not None:
                try:
                    check_database_arg(args.db)
                except InputError as exc:
                    err.write(f"resistdesk: error: argument {exc}\n")
                    return EXIT_MALFORMED
            return gui(args)
        code: int = args.handler(args, out, err)
        return code
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`resistdesk ... | head`): nothing left to say
        return EXIT_FAILURE
    except Exception as exc:  # the last guard: a bug must still end in a message, not a traceback
        err.write(
            f"error: internal error ({type(exc).__name__}: {limits.show(str(exc), 200)}); nothing more "
            "was done. Please report it with the command line that caused it.\n"
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
