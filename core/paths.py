"""Where the shipped resources are, from a checkout, a wheel or a bundle."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

from core import APP_NAME

DB_FILENAME = "resistdesk.sqlite3"


def default_db_path() -> Path:
    """The study database in the platform's user data directory."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / DB_FILENAME


def resource(*parts: str) -> Traversable:
    """A file or folder inside the shipped ``resources`` package."""
    node = files("resources")
    for part in parts:
        node = node.joinpath(part)
    return node


def example_case_files() -> list[Traversable]:
    """The bundled worked example cases, sorted by name."""
    folder = resource("examples", "cases")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
