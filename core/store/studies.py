"""Studies and their settings (protocol, criteria, rule parameter overrides)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import col, select

from core.errors import InputError
from core.limits import MAX_ID_CHARS, MAX_NAME_CHARS, check_text
from core.rules import Category, Regimen, RuleSet, StudyRules
from core.rules.lesions import Criteria
from core.rules.ranges import check_ranges
from core.store import models as m
from core.store.base import Actor, StoreCore, _get, _require_reason
from core.store.errors import NotFoundError


class Studies(StoreCore):
    """Studies and settings."""

    def create_study(
        self,
        actor: Actor,
        protocol_id: str,
        title: str,
        *,
        sponsor: str = "",
        site: str = "",
        criteria: str = "RECIST 1.1",
        rule_overrides: Mapping[str, Any] | None = None,
        enrolled_categories: Sequence[str] = (),
        paper_size: str = "A4",
        is_demo: bool = False,
        ici_chemo_overrides: Mapping[str, Any] | None = None,
        enrolled_regimens: Sequence[str] = (),
    ) -> m.Study:
        values = _study_values(
            protocol_id=protocol_id,
            title=title,
            sponsor=sponsor,
            site=site,
            criteria=criteria,
            rule_overrides=rule_overrides or {},
            enrolled_categories=enrolled_categories,
            paper_size=paper_size,
            ici_chemo_overrides=ici_chemo_overrides or {},
            enrolled_regimens=enrolled_regimens,
        )
        with self.writing(actor, "study.create") as tx:
            if tx.session.exec(select(m.Study).where(m.Study.protocol_id == values["protocol_id"])).first():
                raise InputError("protocol_id", f"a study {values['protocol_id']!r} already exists")
            return tx.insert(m.Study(**values, is_demo=is_demo))

    def update_study(self, actor: Actor, study_id: int, changes: Mapping[str, Any], reason: str) -> m.Study:
        reason = _require_reason(reason)
        with self.writing(actor, "study.update") as tx:
            study = _get(tx.session, m.Study, study_id)
            current = {
                "protocol_id": study.protocol_id,
                "title": study.title,
                "sponsor": study.sponsor,
                "site": study.site,
                "criteria": study.criteria,
                "rule_overrides": json.loads(study.rule_overrides),
                "enrolled_categories": json.loads(study.enrolled_categories),
                "paper_size": study.paper_size,
                "ici_chemo_overrides": json.loads(study.ici_chemo_overrides),
                "enrolled_regimens": json.loads(study.enrolled_regimens),
            }
            unknown = set(changes) - set(current)
            if unknown:
                raise InputError(sorted(unknown)[0], "not a study setting")
            values = _study_values(**{**current, **changes})
            tx.update(study, values, reason)
            return study

    def studies(self) -> list[m.Study]:
        with self.reading() as s:
            return list(s.exec(select(m.Study).order_by(col(m.Study.id))))

    def study(self, study_id: int) -> m.Study:
        with self.reading() as s:
            return _get(s, m.Study, study_id)

    def study_by_protocol(self, protocol_id: str) -> m.Study:
        with self.reading() as s:
            study = s.exec(select(m.Study).where(m.Study.protocol_id == protocol_id)).first()
            if study is None:
                raise NotFoundError(f"no study {protocol_id!r}")
            return study

    @staticmethod
    def ruleset(study: m.Study) -> RuleSet:
        """The study's SITC-2020 rule set (monotherapy courses)."""
        return RuleSet().with_overrides(json.loads(study.rule_overrides))

    @staticmethod
    def rules(study: m.Study) -> StudyRules:
        """Both of the study's rule sets, each with its own overrides; classify() picks per course."""
        return StudyRules.with_overrides(
            json.loads(study.rule_overrides), json.loads(study.ici_chemo_overrides)
        )


def _study_values(
    *,
    protocol_id: str,
    title: str,
    sponsor: str,
    site: str,
    criteria: str,
    rule_overrides: Mapping[str, Any],
    enrolled_categories: Sequence[str],
    paper_size: str,
    ici_chemo_overrides: Mapping[str, Any] | None = None,
    enrolled_regimens: Sequence[str] = (),
) -> dict[str, Any]:
    if not protocol_id or not protocol_id.strip():
        raise InputError("protocol_id", "is required")
    if not title or not title.strip():
        raise InputError("title", "is required")
    # Printed on worksheets and shown everywhere: the same text rules as the case files.
    check_text(protocol_id, "protocol_id", MAX_ID_CHARS, formula=False)
    for field, value in (("title", title), ("sponsor", sponsor), ("site", site)):
        check_text(value, field, MAX_NAME_CHARS, formula=False)
    try:
        Criteria(criteria)
    except ValueError:
        raise InputError("criteria", f"unknown value {criteria!r} (allowed: RECIST 1.1, iRECIST)") from None
    if paper_size not in ("A4", "Letter"):
        raise InputError("paper_size", "must be A4 or Letter")
    check_ranges(rule_overrides, "rule_overrides.")
    rules = StudyRules.with_overrides(dict(rule_overrides), dict(ici_chemo_overrides or {}))
    regimens = {Regimen.MONOTHERAPY.value, Regimen.ICI_CHEMOTHERAPY.value}
    for regimen in enrolled_regimens:
        if regimen not in regimens:
            raise InputError(
                "enrolled_regimens", f"unknown regimen {regimen!r} (allowed: {', '.join(sorted(regimens))})"
            )
    allowed = {c.value for c in Category}
    for cat in enrolled_categories:
        if cat not in allowed:
            raise InputError("enrolled_categories", f"unknown category {cat!r}")
    return {
        "protocol_id": protocol_id.strip(),
        "title": title.strip(),
        "sponsor": sponsor.strip(),
        "site": site.strip(),
        "criteria": criteria,
        "rule_overrides": json.dumps(rules.sitc2020.overrides, sort_keys=True),
        "ici_chemo_overrides": json.dumps(rules.ici_chemo.overrides, sort_keys=True),
        "enrolled_categories": json.dumps(sorted(set(enrolled_categories))),
        "enrolled_regimens": json.dumps(sorted(set(enrolled_regimens))),
        "paper_size": paper_size,
    }
