"""The process and the machine a bench runs on: memory, CPU time, versions, progress.

Nothing here imports JAX: the bench's parent process and its workers both use these
(:mod:`abm.bench.measure` re-exports them).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (10**6 bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss * 1024 / 1e6  # macOS: bytes


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """CPU model, core count, memory, platform, Python and host name."""
    out: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }
    try:
        import psutil

        out["memory_gb"] = psutil.virtual_memory().total / 1e9
    except Exception:  # psutil is optional here
        pass
    try:
        out["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    return out


def versions() -> dict[str, str | None]:
    """Versions of abm and the libraries the bench touches (None where absent)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("abm", "jax", "jaxlib", "numpy", "mesa", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def say(msg: str, quiet: bool = False) -> None:
    """A progress line on stderr."""
    if not quiet:
        print(f"abm bench: {msg}", file=sys.stderr, flush=True)


def error_line(tb: str) -> str:
    """The exception line of a formatted traceback (``TypeError: ...``).

    The last line that starts with an exception name; JAX appends a note on its
    filtered frames after the exception, so the last line alone may not say what failed.
    """
    lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        head = ln.split(":", 1)[0]
        if (
            not ln.startswith(" ")
            and head.replace(".", "").isidentifier()
            and (head.endswith(("Error", "Exception", "Interrupt", "Exit")) or "." in head)
        ):
            return ln
    return lines[-1] if lines else ""
