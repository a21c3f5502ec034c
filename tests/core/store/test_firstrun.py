"""First run: the study and its administrator together, or neither."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InputError
from core.store.errors import AuthError
from core.store.firstrun import create_study_with_administrator
from core.store.store import Store

GOOD = {"username": "admin", "full_name": "Ann Admin", "password": "admin-pass-1",
        "protocol_id": "NEW-1", "title": "New study"}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [("protocol_id", ""), ("title", "  "), ("full_name", ""), ("password", "short"), ("username", "")],
)
def test_a_refused_value_creates_neither(tmp_path: Path, field: str, value: str) -> None:
    with Store.open(tmp_path / "new.sqlite3") as store:
        with pytest.raises(InputError) as caught:
            create_study_with_administrator(store, **{**GOOD, field: value})
        assert caught.value.field == field
        assert not store.has_users()
        assert store.studies() == []
        create_study_with_administrator(store, **GOOD)  # corrected: not locked out


def test_both_are_created_with_the_enrolled_categories(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.sqlite3") as store:
        study = create_study_with_administrator(
            store, **GOOD, enrolled_categories=["primary_resistance", "secondary_resistance"]
        )
        assert study.protocol_id == "NEW-1"
        assert json.loads(store.studies()[0].enrolled_categories) == [
            "primary_resistance",
            "secondary_resistance",
        ]
        assert store.authenticate("admin", "admin-pass-1").full_name == "Ann Admin"
        assert store.verify_audit().ok
        with pytest.raises(AuthError):  # only an empty database has a first run
            create_study_with_administrator(store, **{**GOOD, "protocol_id": "NEW-2"})


def test_the_site_ca_is_created_in_the_same_transaction(tmp_path: Path) -> None:
    from core.store.site_keys import has_site_ca

    with Store.open(tmp_path / "new.sqlite3") as store:
        with pytest.raises(InputError) as caught:  # the CA passphrase may not be the password
            create_study_with_administrator(store, **GOOD, ca_passphrase=GOOD["password"])
        assert caught.value.field == "ca_passphrase"
        assert not store.has_users()
        assert not has_site_ca(store)
        create_study_with_administrator(store, **GOOD, ca_passphrase="a separate CA passphrase 7")
        assert has_site_ca(store)
        assert store.studies()[0].protocol_id == "NEW-1"
        assert store.verify_audit().ok
