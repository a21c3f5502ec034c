"""Console entry point ``resistdesk``: subcommands run headless from ``core.cli``;
with no subcommand the desktop application opens. Qt is imported only then,
so ``resistdesk classify`` starts fast and works without a display."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import main as cli_main

    return cli_main(argv, gui=_run_gui)


if __name__ == "__main__":
    sys.exit(main())
