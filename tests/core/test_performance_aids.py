"""The two speed aids keep their contracts: ``fast_init`` builds the same frozen
values as the dataclass would, and ``bulk()`` always restores the collector."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import threading

import pytest

from core.bulk import BULK_THRESHOLD, bulk, keep_alive_objects_out_of_collections
from core.rules import Assessment, Course, Regimen, Response, Setting
from core.rules.frozen import fast_init


@dataclasses.dataclass(frozen=True, slots=True)
class Plain:
    a: int
    b: str = "b"
    c: tuple[int, ...] = dataclasses.field(default_factory=tuple)
    d: list[int] = dataclasses.field(default_factory=list)


@fast_init
@dataclasses.dataclass(frozen=True, slots=True)
class Fast:
    a: int
    b: str = "b"
    c: tuple[int, ...] = dataclasses.field(default_factory=tuple)
    d: list[int] = dataclasses.field(default_factory=list)


def as_tuple(obj: object) -> tuple[object, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, "x"), {}), ((1,), {"c": (2, 3)}), ((), {"a": 4, "d": [5]}), ((1, "y", (9,), [8]), {})],
)
def test_fast_init_builds_what_the_dataclass_builds(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    assert as_tuple(Fast(*args, **kwargs)) == as_tuple(Plain(*args, **kwargs))


def test_fast_init_keeps_the_class_frozen_hashable_and_strict() -> None:
    value = Fast(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.a = 2  # type: ignore[misc]
    day = dt.date(2024, 1, 1)
    assert hash(Assessment(day, Response.PD, notes=("x",))) == hash(
        Assessment(day, Response.PD, notes=("x",))
    )
    assert Fast(1) == Fast(1)
    assert Fast(1) != Fast(2)
    assert Fast(1).d is not Fast(1).d  # a fresh default per instance
    with pytest.raises(TypeError):
        Fast()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fast(1, unknown=2)  # type: ignore[call-arg]
    assert repr(Fast(1)) == "Fast(a=1, b='b', c=(), d=[])"


def test_fast_init_refuses_classes_it_cannot_serve() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    with pytest.raises(TypeError):
        fast_init(Mutable)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError):
        fast_init(Checked)


def test_the_model_classes_use_it_with_their_defaults() -> None:
    a = Assessment(dt.date(2024, 1, 1), Response.PD)
    assert a.notes == ()
    assert a.lesions is None
    c = Course("S1", "melanoma", Setting.ADVANCED, Regimen.MONOTHERAPY, dt.date(2024, 1, 1), assessments=(a,))
    assert c.assessments == (a,)
    assert dataclasses.replace(c, agent="nivolumab").agent == "nivolumab"


def test_bulk_raises_the_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with bulk():
        assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)
        with bulk():
            assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)
        assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)  # the outer section still runs
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), bulk():
        raise RuntimeError("fails inside")
    assert gc.get_threshold() == before


def test_overlapping_bulk_sections_in_threads_restore_the_default() -> None:
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with bulk():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    with bulk():
        thread.start()
        assert inside.wait(10)
    assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)  # the worker is still inside
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_loaded_values_leave_the_collector_but_are_still_freed() -> None:
    import weakref

    class Box:
        pass

    gc.unfreeze()
    value = Box()
    alive = weakref.ref(value)
    keep_alive_objects_out_of_collections()
    try:
        assert gc.get_freeze_count() > 0
        assert alive() is value
        del value  # reference counting still frees a frozen object
        assert alive() is None
    finally:
        gc.unfreeze()


def test_fast_init_values_pickle_as_equal_values() -> None:
    import pickle

    course = Course(
        "P-1", "melanoma", Setting.ADVANCED, Regimen.MONOTHERAPY, dt.date(2024, 1, 2),
        assessments=(Assessment(dt.date(2024, 2, 1), Response.PD, notes=("a note",)),),
    )  # fmt: skip
    again = pickle.loads(pickle.dumps(course, protocol=5))
    assert again == course
    assert type(again) is Course
    assert hash(again) == hash(course)
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.tumor_type = "renal"  # type: ignore[misc]


def test_shared_equal_values_keeps_every_value_and_shares_equal_parts() -> None:
    from core.rules.frozen import shared_equal_values

    def course(code: str) -> Course:
        visits = tuple(
            Assessment(dt.date(2024, 2, 1) + dt.timedelta(days=42 * k), Response.SD, notes=(f"visit {k}",))
            for k in range(3)
        )
        return Course(
            code, "melanoma", Setting.ADVANCED, Regimen.MONOTHERAPY, dt.date(2024, 1, 2), assessments=visits
        )

    values = [course("A"), course("B"), {"not": "hashable"}]
    memo: dict[object, object] = {}
    shared = [shared_equal_values(v, memo) for v in values]
    assert shared == values
    a, b = shared[0], shared[1]
    assert a.subject_id != b.subject_id
    assert a.assessments is b.assessments  # equal parts are one object now
    assert a.first_dose is b.first_dose
    assert values[0].assessments is not values[1].assessments  # the originals are untouched
    assert shared[2] is values[2]  # what cannot be hashed is kept as it is
