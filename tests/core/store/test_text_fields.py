"""Study and account names follow the case files' text rules (issue 15), named by field."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.store import Actor, Role, Store


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("protocol_id", "P\x00-1", "control character"),
        ("protocol_id", "P" * 65, "at most 64"),
        ("title", "A trial \ud800", "lone surrogate"),
        ("sponsor", "Acme\u202e", "direction control"),
        ("site", "x" * 201, "at most 200"),
    ],
)
def test_study_text_is_checked(store: Store, admin: Actor, field: str, value: str, fragment: str) -> None:
    values = {"protocol_id": "P-2", "title": "Second trial", "sponsor": "", "site": ""} | {field: value}
    with pytest.raises(InputError) as info:
        store.create_study(
            admin, values["protocol_id"], values["title"], sponsor=values["sponsor"], site=values["site"]
        )
    assert info.value.field == field
    assert fragment in info.value.message
    assert [s.protocol_id for s in store.studies()] == ["P-001"]


def test_a_title_may_start_with_a_sign(store: Store, admin: Actor) -> None:
    store.create_study(admin, "P-3", "-- phase 1b --")  # not a spreadsheet cell: no formula rule


def test_printed_name_is_checked(store: Store, admin: Actor) -> None:
    with pytest.raises(InputError) as info:
        store.create_user(admin, "newbie", "Dr\x1b[31m Red", Role.COORDINATOR, "a-long-enough-pass")
    assert info.value.field == "full_name"
    assert "control character" in info.value.message
