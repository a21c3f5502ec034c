"""Bulk work: collect reference cycles less often while many objects are made and kept.

Reading and classifying a 10,000-subject roster creates several hundred
thousand small objects that all stay alive. CPython's cyclic garbage collector
runs every 700 new containers by default, and its full collections, triggered
as survivors pile up, walk every live object each time: profiling the roster
load showed a third of its time in the collector (``make bench``), although
this code makes no reference cycles to collect. Inside ``bulk()`` the youngest
generation is collected every 50,000 allocations instead; everything is still
collected, less often. Thresholds are process-wide, so nested and concurrent
bulk sections share one setting and the outermost restores the default.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 50_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] = (700, 10, 10)


def keep_alive_objects_out_of_collections() -> None:
    """Call once a large, long-lived set of values is loaded (the roster on screen).

    Collects the young generations, then moves every tracked object to the
    permanent generation (``gc.freeze``), so later full collections (which
    ordinary typing in the roster triggers) no longer walk 10,000 subjects' worth
    of objects: a keystroke otherwise stalls for about 200 ms now and then
    (``make bench``, max). Frozen objects are still freed by reference counting
    when released; only reference cycles among them would outlive their use, and
    the roster's values have none.
    """
    gc.collect(1)
    gc.freeze()


@contextmanager
def bulk() -> Iterator[None]:
    """Run the block with a higher gen-0 collection threshold."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], BULK_THRESHOLD), _saved[1], _saved[2])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
