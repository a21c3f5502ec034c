"""Every test runs with its own workstation state folder (the audit anchor book), never the
user's: set for the whole session at import, and per test by the fixture below."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from core.store.anchors import STATE_DIR_ENV

os.environ[STATE_DIR_ENV] = tempfile.mkdtemp(prefix="resistdesk-state-")


@pytest.fixture(autouse=True)
def workstation_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv(STATE_DIR_ENV, str(folder))
    return folder
