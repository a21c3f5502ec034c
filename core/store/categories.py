"""Categories last shown or signed, and what a new rule-set version changed.

Each subject has one ``category_record``: the category last shown (on the
roster) or signed (on a worksheet), with the rule-set version it was made
under and the date it was computed for. When a study is first opened under
a newer rule-set version, every recorded subject is re-classified under the
new rules **as of its recorded date** (so only the rules, not the passing of
time, can make a difference); subjects whose category differs are marked
(``changed_from``/``changed_to``) and one audit line lists them. A mark stays
until a later version replaces it; nobody has to acknowledge it.

The records are derived data (they can be recomputed from the study data and
the rules), so they are written without an audit event per row; the upgrade
itself is audited once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import select

from core.roster import RosterRow
from core.rules import CATEGORY_LABELS, Category
from core.rules.parameters import RULESET_NAME, RULESET_VERSION
from core.store import models as m
from core.store.base import SYSTEM, SYSTEM_USER, Actor, Tx
from core.store.users import Role

if TYPE_CHECKING:
    from core.store.reading import Reading as Store

META_KEY = "ruleset_version:study:{study_id}"
AUDIT_ACTION = "rules_upgrade"


@dataclass(frozen=True, slots=True)
class CategoryChange:
    """A subject whose category a newer rule-set version changed."""

    subject_pk: int
    subject_id: str
    old_category: str
    old_version: int
    new_category: str
    new_version: int
    as_of: dt.date

    def describe(self) -> str:
        """ "category changed from Secondary resistance (v1) to Primary resistance (v2)"."""
        return (
            f"category changed from {_label(self.old_category)} (v{self.old_version}) "
            f"to {_label(self.new_category)} (v{self.new_version})"
        )

    def short(self) -> str:
        """For a table cell: "v1 Secondary resistance → v2 Primary resistance"."""
        old, new = _label(self.old_category), _label(self.new_category)
        return f"v{self.old_version} {old} → v{self.new_version} {new}"


def _label(code: str) -> str:
    try:
        return CATEGORY_LABELS[Category(code)]
    except ValueError:
        return code


def category_records(store: Store, study_id: int) -> dict[int, m.CategoryRecord]:
    """Every subject's record in a study, by subject primary key."""
    with store.reading() as s:
        q = (
            select(m.CategoryRecord)
            .join(m.Subject, m.Subject.id == m.CategoryRecord.subject_id)  # type: ignore[arg-type]
            .where(m.Subject.study_id == study_id)
        )
        return {r.subject_id: r for r in s.exec(q)}


def category_changes(store: Store, study_id: int) -> dict[int, CategoryChange]:
    """The subjects marked as changed by a rule-set version, by subject primary key."""
    with store.reading() as s:
        q = (
            select(m.CategoryRecord, m.Subject.subject_code)
            .join(m.Subject, m.Subject.id == m.CategoryRecord.subject_id)  # type: ignore[arg-type]
            .where(m.Subject.study_id == study_id)
            .where(m.CategoryRecord.changed_from != None)  # noqa: E711  (SQL IS NOT NULL)
        )
        out: dict[int, CategoryChange] = {}
        for r, code in s.exec(q):
            assert r.changed_from is not None
            assert r.changed_from_version is not None
            out[r.subject_id] = CategoryChange(
                r.subject_id,
                code,
                r.changed_from,
                r.changed_from_version,
                r.changed_to or r.category,
                r.ruleset_version,
                r.as_of,
            )
        return out


def track_categories(
    store: Store, study_id: int, as_of: dt.date, shown: Sequence[RosterRow] | None = None
) -> dict[int, CategoryChange]:
    """Record the categories shown as of ``as_of``; on a study's first use of a newer
    rule-set version, mark the subjects it changed and audit it once.

    ``shown``: the roster rows just shown (classified as of ``as_of`` under the study's
    rules), so the study is not read and classified twice; without it, they are computed.
    Returns every subject currently marked as changed by a rule-set version.
    """
    rules = store.rules(store.study(study_id))  # both rule sets; the version tracked is SITC-2020's
    version = rules.sitc2020.version
    records = category_records(store, study_id)
    fresh: list[m.CategoryRecord] = []
    updates: dict[int, dict[str, object]] = {}
    changed: list[CategoryChange] = []
    if shown is None:
        shown = store.roster_rows(study_id, as_of)
    for row in shown:
        pk, now = row.subject_pk, row.category.value
        rec = records.get(pk)
        if rec is None:
            fresh.append(m.CategoryRecord(subject_id=pk, category=now, ruleset_version=version, as_of=as_of))
        elif rec.ruleset_version < version:
            then = now
            if rec.as_of != as_of:  # re-classified under the new rules as of the recorded date
                then = store.classify_course(store.course(pk), rec.as_of, rules).category.value
            update: dict[str, object] = {
                "category": now, "ruleset_version": version, "as_of": as_of, "source": "shown",
            }  # fmt: skip
            if then != rec.category:
                update |= {
                    "changed_from": rec.category,
                    "changed_from_version": rec.ruleset_version,
                    "changed_to": then,
                }
                changed.append(
                    CategoryChange(
                        pk, row.subject_id, rec.category, rec.ruleset_version, then, version, rec.as_of
                    )
                )
            updates[pk] = update
        elif rec.category != now:
            updates[pk] = {"category": now, "as_of": as_of, "source": "shown"}

    key = META_KEY.format(study_id=study_id)
    with store.reading() as s:
        applied = s.get(m.Meta, key)
    first_use = applied is None or int(applied.value) < version
    if fresh or updates or first_use:
        with store.writing(Actor(SYSTEM_USER, Role.ADMINISTRATOR), SYSTEM) as tx:
            for rec in fresh:
                if tx.session.get(m.CategoryRecord, rec.subject_id) is None:
                    tx.session.add(rec)
            for pk, values in updates.items():
                record = tx.session.get(m.CategoryRecord, pk)
                if record is not None:
                    for name, value in values.items():
                        setattr(record, name, value)
                    tx.session.add(record)
            meta = tx.session.get(m.Meta, key)
            if meta is None or int(meta.value) < version:  # checked again inside the transaction
                if meta is None:
                    meta = m.Meta(key=key, value=str(version))
                else:
                    meta.value = str(version)
                tx.session.add(meta)
                tx.log(
                    AUDIT_ACTION,
                    entity="study",
                    entity_id=study_id,
                    new=upgrade_line(version, sorted(changed, key=lambda c: c.subject_id)),
                )
            tx.session.flush()
    return category_changes(store, study_id)


def upgrade_line(version: int, changed: list[CategoryChange]) -> str:
    """The audit line written when a rule-set version is first applied to a study."""
    listed = "; ".join(
        f"{c.subject_id}: {_label(c.old_category)} (v{c.old_version}) → {_label(c.new_category)}"
        for c in changed
    )
    count = f"{len(changed)} subject's" if len(changed) == 1 else f"{len(changed)} subjects'"
    return f"{RULESET_NAME} version {version} first applied: {count} categories changed" + (
        f": {listed}" if listed else ""
    )


def record_category(tx: Tx, subject_pk: int, category: str, as_of: dt.date, source: str) -> None:
    """Inside a worksheet's transaction: the category just prepared or signed becomes the
    subject's record. A record from an older rule-set version is left for ``track_categories``
    to compare first (a worksheet must not hide what an upgrade changed)."""
    version = RULESET_VERSION
    row = tx.session.get(m.CategoryRecord, subject_pk)
    if row is None:
        row = m.CategoryRecord(subject_id=subject_pk, category=category, ruleset_version=version, as_of=as_of)
    elif row.ruleset_version < version:
        return
    row.category, row.as_of, row.source = category, as_of, source
    tx.session.add(row)
    tx.session.flush()
