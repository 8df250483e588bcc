"""Provenance recorded in every cube: versions, commit, devices, config, timing."""

from __future__ import annotations

import datetime as dt
import subprocess
from importlib import metadata
from pathlib import Path

from abm.engine.devices import describe


def package_version() -> str:
    """Installed version of the ``abm`` package."""
    try:
        return metadata.version("abm")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def git_commit() -> str:
    """Commit of the source tree the package runs from (with ``-dirty``), or ``unknown``."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def now_utc() -> str:
    """Current time, ISO 8601, UTC, seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def collect(**fields: str | int | float) -> dict[str, str | int | float]:
    """Standard provenance fields plus the caller's (config text, seed, timing...)."""
    out: dict[str, str | int | float] = {
        "abm_version": package_version(),
        "git_commit": git_commit(),
        "created": now_utc(),
    }
    out.update(describe())
    out.update(fields)
    return out
