"""Console entry point ``resistdesk``: subcommands run headless from ``core.cli``;
with no subcommand the desktop application opens. Qt is imported only then,
so ``resistdesk classify`` starts fast and works without a display."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _run_gui(args: argparse.Namespace) -> int:
    from desktop.app import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import main as cli_main

    return cli_main(argv, gui=_run_gui)


if __name__ == "__main__":
    sys.exit(main())
