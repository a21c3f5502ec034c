"""Property-based tests of the classifier over random well-formed courses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from core.casefile import course_to_case, parse_case
from core.rules import (
    Assessment,
    Category,
    Classification,
    Course,
    Regimen,
    Response,
    Setting,
    StopReason,
    classify,
)

BASE = dt.date(2023, 1, 2)
PROVISIONAL = {
    Category.PRIMARY_RESISTANCE,
    Category.SECONDARY_RESISTANCE,
    Category.LATE_PROGRESSION,
    Category.LATE_RELAPSE,
    Category.INSUFFICIENT_EXPOSURE,
}


@st.composite
def assessments(draw: st.DrawFn, first: dt.date, setting: Setting) -> tuple[Assessment, ...]:
    low = 0 if setting is Setting.ADVANCED else -30
    offsets = draw(st.lists(st.integers(low, 900), max_size=10))
    # Same-date assessments (C11): repeat some of the dates.
    offsets += draw(st.lists(st.sampled_from(offsets), max_size=4)) if offsets else []
    out = []
    for off in sorted(offsets):
        out.append(
            Assessment(
                date=first + dt.timedelta(days=off),
                response=draw(st.sampled_from(list(Response))),
                clinical_progression=draw(st.booleans()),
                symptomatic=draw(st.booleans()),
                nodal_only=draw(st.booleans()),
                multiple_metastases=draw(st.booleans()),
                progressing_sites=draw(st.none() | st.integers(0, 5)),
                biopsy_confirms_progression=draw(st.none() | st.booleans()),
                ecog=draw(st.none() | st.integers(0, 5)),
            )
        )
    return tuple(out)


@st.composite
def courses(draw: st.DrawFn) -> Course:
    setting = draw(st.sampled_from(list(Setting)))
    first = BASE + dt.timedelta(days=draw(st.integers(0, 365)))
    last_offset = draw(st.none() | st.integers(0, 700))
    return Course(
        subject_id="P-1",
        tumor_type=draw(st.sampled_from(["melanoma", "NSCLC", "renal cell carcinoma", "prostate cancer"])),
        setting=setting,
        regimen=draw(st.sampled_from(list(Regimen))),
        first_dose=first,
        agent=draw(st.sampled_from(AGENTS)),
        indolent=draw(st.booleans()),
        last_dose=None if last_offset is None else first + dt.timedelta(days=last_offset),
        discontinuation_reason=draw(st.none() | st.sampled_from(list(StopReason))),
        intercurrent_therapy=draw(st.booleans()),
        surgery_date=draw(st.none() | st.integers(20, 200).map(lambda n: first + dt.timedelta(days=n))),
        major_pathological_response=draw(st.none() | st.booleans()),
        adjuvant_after_neoadjuvant=draw(st.booleans()),
        assessments=draw(assessments(first, setting)),
        dosing_interval_days=draw(st.none() | st.integers(7, 84)),
    )


AGENTS = [
    "pembrolizumab", "nivolumab", "newmab", None, "Keytruda 200 mg q3w", "pembrolizumab + lenvatinib",
    "carboplatin/pemetrexed/pembrolizumab", "nivolumab + Zorbalimab", "ipilimumab",
]  # fmt: skip


def as_of_for(course: Course, offset: int) -> dt.date:
    return course.first_dose + dt.timedelta(days=offset)


def essence(r: Classification) -> tuple[object, ...]:
    c = r.confirmation
    return (r.category, r.provisional_category, r.rule, r.caveat_codes, c.required, c.status, c.due_status)


def shifted(course: Course, delta: dt.timedelta) -> Course:
    def move(d: dt.date | None) -> dt.date | None:
        return None if d is None else d + delta

    return dataclasses.replace(
        course,
        first_dose=course.first_dose + delta,
        last_dose=move(course.last_dose),
        surgery_date=move(course.surgery_date),
        assessments=tuple(dataclasses.replace(a, date=a.date + delta) for a in course.assessments),
    )


@settings(max_examples=400)
@given(courses(), st.integers(0, 1000))
def test_any_course_gets_a_known_category_and_never_raises(course: Course, offset: int) -> None:
    r = classify(course, as_of_for(course, offset))
    assert r.category in set(Category)
    if r.category is Category.PENDING_CONFIRMATION:
        assert r.provisional_category in PROVISIONAL
        assert r.confirmation.status == "pending"
    else:
        assert r.provisional_category is None
    if r.category in (Category.NO_PROGRESSION, Category.INDETERMINATE):
        assert r.rule is None
    else:
        assert r.rule is not None
    assert (r.category is Category.INDETERMINATE) <= (r.reason is not None)
    assert r.rationale
    r.to_json()


@settings(max_examples=300)
@given(courses(), st.integers(0, 1000), st.integers(-2000, 2000))
def test_shifting_every_date_changes_nothing(course: Course, offset: int, shift: int) -> None:
    delta = dt.timedelta(days=shift)
    before = classify(course, as_of_for(course, offset))
    after = classify(shifted(course, delta), as_of_for(course, offset) + delta)
    assert essence(after) == essence(before)


@settings(max_examples=300)
@given(courses(), st.integers(0, 1000), st.integers(1, 400), st.sampled_from(list(Response)))
def test_assessments_after_as_of_change_nothing(
    course: Course, offset: int, later: int, response: Response
) -> None:
    as_of = as_of_for(course, offset)
    extra = Assessment(date=as_of + dt.timedelta(days=later), response=response, clinical_progression=True)
    before = classify(course, as_of).to_json()
    after = classify(dataclasses.replace(course, assessments=(*course.assessments, extra)), as_of).to_json()
    assert after == before


@settings(max_examples=200)
@given(courses())
def test_case_file_round_trip(course: Course) -> None:
    assert parse_case(course_to_case(course)) == course


@settings(max_examples=400)
@given(courses(), st.integers(0, 1000), st.randoms(use_true_random=False))
def test_file_order_of_assessments_never_changes_a_result(
    course: Course, offset: int, rnd: random.Random
) -> None:
    """Including same-date assessments (C11): the worst response of a date governs."""
    shuffled = list(course.assessments)
    rnd.shuffle(shuffled)
    as_of = as_of_for(course, offset)
    before = classify(course, as_of).to_json()
    after = classify(dataclasses.replace(course, assessments=tuple(shuffled)), as_of).to_json()
    assert after == before


def test_same_date_pair_in_both_file_orders_gives_one_answer() -> None:
    first = BASE
    pd = Assessment(first + dt.timedelta(days=60), Response.PD)
    one = Assessment(first + dt.timedelta(days=95), Response.PD)
    two = Assessment(first + dt.timedelta(days=95), Response.SD)
    course = Course("P-1", "melanoma", Setting.ADVANCED, Regimen.MONOTHERAPY, first, "pembrolizumab")
    as_of = first + dt.timedelta(days=100)
    a = classify(dataclasses.replace(course, assessments=(pd, one, two)), as_of)
    b = classify(dataclasses.replace(course, assessments=(pd, two, one)), as_of)
    assert a.to_json() == b.to_json()
    assert a.category is Category.PRIMARY_RESISTANCE


DRUGS = [
    "pembrolizumab",
    "Keytruda",
    "lenvatinib",
    "carboplatin",
    "5-FU",
    "nab-paclitaxel",
    "Zorbalimab",
    "ipilimumab",
]
SEPARATORS = [" + ", "/", ", ", " & ", "; ", " and ", " plus ", " with "]


@settings(max_examples=300)
@given(
    courses(),
    st.integers(0, 1000),
    st.lists(st.sampled_from(DRUGS), min_size=1, max_size=4),
    st.data(),
)
def test_drug_order_in_the_agent_text_never_changes_a_result(
    course: Course, offset: int, drugs: list[str], data: st.DataObject
) -> None:
    def join(names: list[str]) -> str:
        out = names[0]
        for name in names[1:]:
            out += data.draw(st.sampled_from(SEPARATORS)) + name
        return out

    shuffled = data.draw(st.permutations(drugs))
    as_of = as_of_for(course, offset)
    before = classify(dataclasses.replace(course, agent=join(drugs)), as_of).to_json()
    after = classify(dataclasses.replace(course, agent=join(list(shuffled))), as_of).to_json()
    assert after == before
