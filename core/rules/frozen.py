"""A faster ``__init__`` (and pickle) for the frozen, slotted dataclasses built in bulk.

A frozen dataclass's generated ``__init__`` sets each field through
``object.__setattr__(self, name, value)``, which looks the attribute up by
name every time. Reading a 10,000-subject roster builds over 100,000
assessments, and classifying it as many result objects, so that lookup was a
large part of both (``make bench``). ``fast_init`` replaces the generated
``__init__`` with one that calls each slot's descriptor directly: the same
signature, defaults and immutability, about twice as fast.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()


def fast_init(cls: type[T]) -> type[T]:
    """Decorate a ``@dataclass(frozen=True, slots=True)`` class (apply above it)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not cls.__dataclass_params__.frozen or "__slots__" not in cls.__dict__:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: fast_init is for @dataclass(frozen=True, slots=True)")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: fast_init does not call __post_init__")
    env: dict[str, Any] = {"_new_missing": _MISSING}
    args, body = [], []
    for f in fields:
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: fast_init supports positional init fields only")
        env[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        if f.default is not dataclasses.MISSING:
            env[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_new_missing")
            body.append(f"    if {f.name} is _new_missing: {f.name} = _factory_{f.name}()")
        else:
            args.append(f.name)
        body.append(f"    _set_{f.name}(self, {f.name})")
    source = f"def __init__(self, {', '.join(args)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    # Pickled as a call of that __init__ with the field values (the roster's result cache loads
    # 10,000 rows; the dataclass default restores each field by name through fields()).
    getters = tuple(cls.__dict__[f.name].__get__ for f in fields)

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
        return cls, tuple([get(self) for get in getters])

    __reduce__.__qualname__ = f"{cls.__qualname__}.__reduce__"
    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    cls.__fast_init__ = True  # type: ignore[attr-defined]
    return cls


def shared_equal_values(value: Any, memo: dict[Any, Any]) -> Any:
    """``value`` rebuilt so that equal immutable parts (strings, dates, tuples, ``fast_init``
    values) are one object, found in or added to ``memo``: a pickle of many results then
    holds each once, and loads in half the time. Values that cannot be hashed are kept."""
    kind = type(value)
    if kind is tuple:
        value = tuple([shared_equal_values(v, memo) for v in value])
    elif getattr(kind, "__fast_init__", False):
        cls, args = value.__reduce__()
        value = cls(*[shared_equal_values(a, memo) for a in args])
    try:
        return memo.setdefault(value, value)
    except TypeError:
        return value
