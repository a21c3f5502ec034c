"""Where the shipped resources are, from a checkout, a wheel or a bundle."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


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
