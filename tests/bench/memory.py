"""Peak memory of this process, for the start-up helpers.

``getrusage().ru_maxrss`` is wrong here: Linux carries the high-water mark
across ``execve``, so a helper started by the benchmark process (forked while
it held 10,000 classified subjects) reported the parent's peak. ``VmHWM`` in
``/proc/self/status`` belongs to the new program image only.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
