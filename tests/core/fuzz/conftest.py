"""One small template study per fuzz module; every example works on its own copy."""

from __future__ import annotations

import pytest

from tests.core.fuzz.harness import Harness


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return Harness(tmp_path_factory.mktemp("fuzz"))
