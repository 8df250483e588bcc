"""A calibration's resumable store: its identity and the SMC state after each step.

``<store>/manifest.json`` records what the calibration is (a SHA-256 of its config, base
scenario, targets and parameter space, and that text itself); ``<store>/state.npz``
holds the latest :class:`~abm.calibrate.smc.SmcState`, replaced atomically after every
step with a SHA-256 of its arrays, so a crash loses at most the step in progress and a
damaged state is refused, never read. A store of another calibration is refused unless
the caller asks to overwrite it (and only a store this program wrote). The writer holds
the store's lock (:mod:`abm.locks`) while it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from abm.calibrate.smc import SmcState
from abm.errors import InputError, OutputExistsError

FORMAT = "abm-calibration-store"
VERSION = 1
ARRAYS = ("z", "points", "loglik", "per_target", "mean")


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in ARRAYS:
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k], np.float64).tobytes())
    return h.hexdigest()


class CalibrationStore:
    """The store folder of one calibration.

    Args:
        path: the folder.
        identity: canonical text of everything that decides the calibration.
    """

    def __init__(self, path: str | Path, identity: str) -> None:
        self.path = Path(path)
        self.identity = identity
        self.identity_sha256 = hashlib.sha256(identity.encode("utf-8")).hexdigest()

    @property
    def manifest(self) -> Path:
        """The manifest file."""
        return self.path / "manifest.json"

    @property
    def state_file(self) -> Path:
        """The latest state."""
        return self.path / "state.npz"

    def _read_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("format") == FORMAT else None

    def open(self, overwrite: bool) -> SmcState | None:
        """Check the folder and return the state to resume from (None: start afresh).

        The same calibration always resumes (``overwrite`` or not); ``overwrite`` only
        lets another calibration's store be cleared and started afresh.

        Raises:
            InputError: the folder is not a calibration store of abm, or holds another
                calibration (without ``overwrite``), or its state is damaged.
        """
        p = self.path
        if p.exists() and not p.is_dir():
            raise InputError(f"--store {p} exists and is not a folder; name a folder")
        if p.is_dir() and any(p.iterdir()):
            man = self._read_manifest()
            if man is None:
                raise InputError(
                    f"--store {p} is a folder abm did not write (no calibration manifest); "
                    "abm never replaces it: choose another path"
                )
            if man.get("identity_sha256") != self.identity_sha256:
                if not overwrite:
                    raise OutputExistsError(
                        f"--store {p} holds another calibration (config, scenario, targets "
                        "or parameters differ); pass --overwrite to start it afresh"
                    )
                self._clear()
            else:  # the same calibration: always resume (delete the folder to restart)
                return self.load()
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_manifest()
        return None

    def _clear(self) -> None:
        for child in self.path.iterdir():
            if child.name.startswith(".") and child.name.endswith(".lock"):
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    def _write_manifest(self) -> None:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "identity_sha256": self.identity_sha256,
            "identity": self.identity,
        }
        tmp = self.manifest.with_name(f".manifest.json.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.manifest)

    def save(self, state: SmcState) -> None:
        """Replace the latest state atomically (a hidden sibling renamed into place)."""
        arrays = {k: np.asarray(getattr(state, k), np.float64) for k in ARRAYS}
        meta = {
            "step": state.step,
            "beta": state.beta,
            "final_moves": state.final_moves,
            "scale": state.scale,
            "offset": state.offset,
            "rng": state.rng,
            "history": state.history,
            "sha256": _digest(arrays),
        }
        tmp = self.state_file.with_name(f".state.npz.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta, default=int)), **arrays)  # type: ignore[arg-type]
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_file)
        finally:
            tmp.unlink(missing_ok=True)

    def load(self) -> SmcState | None:
        """The latest state, or None if there is none yet.

        Raises:
            InputError: the state file is damaged (its arrays fail their SHA-256).
        """
        if not self.state_file.exists():
            return None
        try:
            with np.load(self.state_file, allow_pickle=False) as z:
                arrays = {k: np.asarray(z[k], np.float64) for k in ARRAYS}
                meta = json.loads(str(z["meta"]))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise InputError(
                f"{self.state_file}: damaged calibration state ({exc}); pass --overwrite "
                "to start afresh"
            ) from None
        if _digest(arrays) != meta.get("sha256"):
            raise InputError(
                f"{self.state_file}: arrays do not match their SHA-256 (damaged); pass "
                "--overwrite to start afresh"
            )
        return SmcState(
            step=int(meta["step"]),
            beta=float(meta["beta"]),
            final_moves=int(meta["final_moves"]),
            z=arrays["z"],
            points=arrays["points"].astype(np.int64),
            loglik=arrays["loglik"],
            per_target=arrays["per_target"],
            mean=arrays["mean"],
            scale=float(meta["scale"]),
            offset=int(meta["offset"]),
            rng=meta["rng"],
            history=list(meta["history"]),
        )


__all__ = ["FORMAT", "CalibrationStore"]
