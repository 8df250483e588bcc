"""A calibrated posterior: a sample of whole parameter vectors, stored with its provenance.

``abm calibrate`` writes one (:func:`save_posterior`); any scenario can run on it
(``posterior:`` in the scenario file, ``--posterior PATH`` on the command line). Each run
then takes one row of the sample (chosen from its own key, :mod:`abm.engine.simulate`),
so the correlations the calibration found between parameters are kept.

A column replaces a parameter's prior only where the scenario leaves that prior as the
calibration saw it (:attr:`Posterior.base_priors`): a lever, a stance's prior, a
scenario's ``parameters:`` entry or a ``--set`` pin that differs is applied on top.

The file is a NumPy ``.npz`` archive written atomically (a sibling renamed into place):
``values`` float32 ``[K, n]``, ``names`` ``[n]`` and ``meta`` (JSON: provenance, the
targets the calibration saw and held out, the base priors, and the SHA-256 of
``values``, checked on load so that a damaged file is never read as a valid one).
This module imports no JAX.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from abm.engine.priors import Prior
from abm.errors import InputError

#: Value of ``meta["format"]`` of every posterior file.
FORMAT = "abm-posterior"
#: Version of the file layout; other versions are refused.
VERSION = 1


@dataclass(frozen=True)
class Posterior:
    """A sample of parameter vectors.

    Attributes:
        names: full parameter names, one per column.
        values: float32 ``[K, n]``, one parameter vector per row (in each parameter's unit).
        base_priors: name -> the prior the column stands in for (the calibration's base
            scenario); a scenario whose prior differs keeps its own.
        meta: provenance (JSON-able): model, base scenario and config hash, method,
            waves, simulations, seed, the targets seen and held out, created, command.
        path: the file it was read from, if any.
    """

    names: tuple[str, ...]
    values: np.ndarray
    base_priors: Mapping[str, Prior]
    meta: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None

    def __post_init__(self) -> None:
        v = np.asarray(self.values)
        if v.ndim != 2 or v.shape[1] != len(self.names) or v.shape[0] < 1:
            raise ValueError(f"values must be [K >= 1, {len(self.names)}], got {v.shape}")
        if len(set(self.names)) != len(self.names):
            raise ValueError("posterior names repeat")
        if not np.all(np.isfinite(v)):
            raise ValueError("posterior values must be finite")
        if set(self.base_priors) != set(self.names):
            raise ValueError("base_priors must name exactly the posterior's columns")

    @property
    def n_draws(self) -> int:
        """Rows of the sample (K)."""
        return int(np.shape(self.values)[0])

    def column(self, name: str) -> int:
        """The column of parameter ``name``."""
        return self.names.index(name)

    def digest(self) -> str:
        """SHA-256 (hex) of the values and names: the sample's identity."""
        return values_digest(np.asarray(self.values, np.float32), self.names)


def values_digest(values: np.ndarray, names: Sequence[str]) -> str:
    """SHA-256 (hex) of float32 ``values`` (C order) and the names, joined by newlines."""
    h = hashlib.sha256(np.ascontiguousarray(values, np.float32).tobytes())
    h.update("\n".join(names).encode("utf-8"))
    return h.hexdigest()


def save_posterior(post: Posterior, path: str | Path) -> Path:
    """Write ``post`` to ``path`` (``.npz``) atomically; returns the path.

    The archive is written to a hidden sibling, flushed to disk and renamed into place,
    so a crash leaves the old file or the new one, never half of one.
    """
    out = Path(path)
    values = np.ascontiguousarray(post.values, np.float32)
    meta = {
        **dict(post.meta),
        "format": FORMAT,
        "version": VERSION,
        "values_sha256": values_digest(values, post.names),
        "base_priors": {n: post.base_priors[n].to_dict() for n in post.names},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                values=values,
                names=np.array(post.names, dtype=np.str_),
                meta=np.array(json.dumps(meta, sort_keys=True)),
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _prior(d: Mapping[str, Any], where: str) -> Prior:
    try:
        kind = str(d["kind"])
        return Prior(kind, {k: float(v) for k, v in d.items() if k != "kind"})
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: bad base prior {dict(d)!r}: {exc}") from None


def load_posterior(path: str | Path) -> Posterior:
    """Read and verify a posterior file.

    Raises:
        InputError: the file is missing, is not a posterior, has another version, or its
            values do not match their recorded SHA-256 (damaged or half-written).
    """
    p = Path(path)
    allowed = "a posterior written by `abm calibrate` (.npz)"
    if not p.is_file():
        raise InputError(f"{p}: posterior file not found; allowed: {allowed}")
    try:
        with np.load(p, allow_pickle=False) as z:
            values = np.asarray(z["values"], np.float32)
            names = tuple(str(n) for n in z["names"])
            meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise InputError(f"{p}: not a readable posterior ({exc}); allowed: {allowed}") from None
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise InputError(
            f"{p}: format {meta.get('format')!r} version {meta.get('version')!r}; "
            f"allowed: {FORMAT} version {VERSION}"
        )
    if values_digest(values, names) != meta.get("values_sha256"):
        raise InputError(f"{p}: values do not match their recorded SHA-256 (damaged file)")
    base = meta.pop("base_priors", {})
    priors = {n: _prior(base.get(n, {}), f"{p} base_priors.{n}") for n in names}
    try:
        return Posterior(names, values, priors, meta, str(p))
    except ValueError as exc:
        raise InputError(f"{p}: {exc}") from None


def check_against(post: Posterior, params: Sequence[Any], where: str) -> None:
    """Refuse a posterior whose columns the model lacks or whose values leave a range.

    Args:
        post: the posterior.
        params: the model's catalogue (``ParamDef`` with ``name``, ``low``, ``high``).
        where: the file or key named in errors.
    """
    by_name = {p.name: p for p in params}
    unknown = [n for n in post.names if n not in by_name]
    if unknown:
        raise InputError(
            f"{where}: posterior columns {unknown[:5]} are not parameters of this model; "
            "allowed: a posterior calibrated for this scenario's model"
        )
    v = np.asarray(post.values)
    for j, n in enumerate(post.names):
        lo, hi = by_name[n].low, by_name[n].high
        # The engine holds ranges as float32: compare there (0.7 is 0.699999988).
        bad = (v[:, j] < np.float32(lo)) | (v[:, j] > np.float32(hi))
        if bad.any():
            raise InputError(
                f"{where}: posterior column {n} has {int(bad.sum())} values outside "
                f"[{lo:g}, {hi:g}]; allowed: values inside the parameter's range"
            )


def posterior_priors(post: Posterior, priors: Mapping[str, Prior]) -> dict[str, Prior]:
    """The scenario's priors with each unchanged one replaced by its posterior column.

    Args:
        post: the posterior.
        priors: the scenario's resolved priors by full name (levers pinned).

    Returns:
        A copy of ``priors`` in which every parameter whose prior equals the base prior
        the calibration saw takes ``Prior("posterior", {"column": j})``.
    """
    out = dict(priors)
    for j, name in enumerate(post.names):
        if name in out and out[name] == post.base_priors[name]:
            out[name] = Prior("posterior", {"column": float(j)})
    return out


__all__ = [
    "FORMAT",
    "VERSION",
    "Posterior",
    "check_against",
    "load_posterior",
    "posterior_priors",
    "save_posterior",
    "values_digest",
]
