"""Fixtures: real SQLite files in temporary folders, never the user's database."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.store import Actor, Role, Store
from core.store.site_keys import certificate_queue, create_site_ca

PASSWORD = "s3cret-pass-phrase"
FIRST_PASSWORD = "one-time-pass-4711"  # what an administrator hands over; changed at first sign-in
CA_PASSPHRASE = "site-ca-passphrase-42"
TODAY = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return TODAY


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with an administrator, a coordinator and one study."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    with Store.open(path, clock=fixed_clock) as store:
        admin = store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
        store.create_user(admin, "coord", "Cory Coordinator", Role.COORDINATOR, FIRST_PASSWORD)
        store.create_user(admin, "inv", "Dr. Ida Investigator", Role.INVESTIGATOR, FIRST_PASSWORD)
        custodian = None
        for user in ("coord", "inv"):  # each chooses their own password at the first sign-in
            actor = store.change_password(user, FIRST_PASSWORD, PASSWORD)
            custodian = custodian or actor
        store.create_study(admin, "P-001", "A phase 2 trial", enrolled_categories=["primary_resistance"])
        assert custodian is not None
        # the coordinator keeps the CA, not the admin, and certifies the investigator it was shown
        create_site_ca(store, custodian, CA_PASSPHRASE, approved=certificate_queue(store))
    return path


def copy_db(template: Path, dest: Path) -> Path:
    with (
        contextlib.closing(sqlite3.connect(template)) as src,
        contextlib.closing(sqlite3.connect(dest)) as dst,
    ):
        src.backup(dst)
    return dest


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    return copy_db(template_db, tmp_path / "study.sqlite3")


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path, clock=fixed_clock, backup_daily=False) as s:
        yield s


@pytest.fixture
def admin(store: Store) -> Actor:
    return Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)


@pytest.fixture
def coord() -> Actor:
    return Actor("coord", Role.COORDINATOR, "Cory Coordinator", 2)


@pytest.fixture
def study_id(store: Store) -> int:
    sid = store.studies()[0].id
    assert sid is not None
    return sid


def subject_fields(code: str = "MEL-001", **extra: object) -> dict[str, object]:
    return {
        "subject_id": code,
        "tumor_type": "melanoma",
        "setting": "advanced",
        "regimen": "monotherapy",
        "agent": "pembrolizumab",
        "first_dose": "2024-01-08",
        **extra,
    }


def dump(path: Path) -> list[str]:
    """Every row of every table, to compare a database before and after."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


__all__ = [
    "CA_PASSPHRASE",
    "FIRST_PASSWORD",
    "PASSWORD",
    "TODAY",
    "copy_db",
    "dump",
    "fixed_clock",
    "subject_fields",
]
