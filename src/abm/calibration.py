"""``abm calibrate`` in the API: each slice's calibration in model order, then coverage.

Every slice of the scenario's model that has a calibration entry
(:attr:`abm.engine.slices.SliceDef.calibrate`) fits and writes its calibrated priors, in
the model's slice order; later slices see the priors written before them. Coverage then
runs the whole stochastic model under the scenario's resolved priors and reports, for
each target a slice declares (:attr:`~abm.engine.slices.SliceDef.targets`), the 5 %, 50 %
and 95 % quantiles of the runs, the interval's width and whether the historical figure
falls inside. Fitted targets are marked; the others are out-of-sample checks.

One transaction. Every argument is checked before anything is written (the scenario, the
numbers, the report's folder, and that each calibration file can be written). The slices'
calibration files (:attr:`~abm.engine.slices.SliceDef.calibration_file`) are then locked
(:mod:`abm.locks`) and their bytes and times kept; if anything fails before the command
ends (a fit, the coverage runs, the report, Ctrl-C), every one of them is put back as it
was, byte for byte with its modification time, and the catalogues are read again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from abm.engine.priors import PriorTable
from abm.engine.runner import Runner
from abm.engine.slices import SliceDef
from abm.errors import InputError
from abm.locks import StoreLock
from abm.models import registry
from abm.tallies import quantiles_from_hist

QUANTILES = np.array([0.05, 0.5, 0.95])

log = logging.getLogger(__name__)


def row(target: str, historical: float, q: np.ndarray, fitted: bool) -> dict[str, Any]:
    """One coverage row from a target's value and its three quantiles."""
    return {
        "target": target,
        "historical": historical,
        "q05": float(q[0]),
        "median": float(q[1]),
        "q95": float(q[2]),
        "width": float(q[2] - q[0]),
        "inside": bool(q[0] <= historical <= q[2]),
        "fitted": fitted,
    }


def coverage(
    model: Any, table: PriorTable, n_runs: int = 2000, seed: int = 0, chunk_size: int = 1000
) -> list[dict[str, Any]]:
    """Coverage rows of every target the model's slices declare.

    Args:
        model: a composed model (``Scenario.model()``).
        table: the scenario's priors (``Scenario.prior_table()``).
        n_runs: runs.
        seed: root seed.
        chunk_size: runs per device chunk.
    """
    acc = Runner(model, chunk_size=chunk_size).run(seed, PriorTable.stack([table]), n_runs)
    specs = {s.name: s for s in model.outcome_specs}
    cache: dict[str, np.ndarray] = {}

    def q(name: str) -> np.ndarray:
        if name not in cache:
            edges = np.asarray(specs[name].edges)
            cache[name] = quantiles_from_hist(acc.tallies[f"{name}/hist"][0], edges, QUANTILES)
        return cache[name]

    rows: list[dict[str, Any]] = []
    for d in model.defs:
        for t in d.targets(model.calendar) if d.targets else []:
            if t.kind != "quantity":
                continue
            rows.append(row(t.target, t.historical, q(t.outcome)[t.index] / t.scale, t.fitted))
    return rows


def coverage_markdown(rows: Sequence[dict[str, Any]], n_runs: int, seed: int) -> str:
    """Markdown table of :func:`coverage` rows."""
    fitted = [r for r in rows if r["fitted"]]
    inside = sum(r["inside"] for r in fitted)
    checks = [r for r in rows if not r["fitted"]]
    lines = [
        f"Coverage of the calibration targets by the `otl` model's 90 % intervals "
        f"({n_runs} runs, seed {seed}): {inside} of {len(fitted)} fitted targets inside; "
        f"{sum(r['inside'] for r in checks)} of {len(checks)} out-of-sample checks inside. "
        "Width is the 90 % interval's width (95 % minus 5 % quantile); relative width is "
        "that over the historical figure.",
        "",
        "| target | fitted | historical | 5 % | median | 95 % | width | relative width | inside |",
        "| --- | :---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in rows:
        rel = r["width"] / abs(r["historical"]) if r["historical"] else float("nan")
        lines.append(
            f"| {r['target']} | {'yes' if r['fitted'] else 'no'} | {r['historical']:.4g} "
            f"| {r['q05']:.4g} | {r['median']:.4g} | {r['q95']:.4g} | {r['width']:.4g} "
            f"| {rel:.2f} | {'yes' if r['inside'] else 'NO'} |"
        )
    return "\n".join(lines)


def reload_catalogues(model: str) -> None:
    """Forget cached catalogues, so the calibration files just written are read."""
    from abm.config import names

    for d in registry.slice_defs(model):
        clear = getattr(d.catalogue, "cache_clear", None)
        if clear is not None:
            clear()
    registry.catalogue.cache_clear()
    registry.param_owner.cache_clear()
    names.reload()


@dataclass(frozen=True)
class Snapshot:
    """A file's state before a calibration: its bytes and times, or its absence.

    Attributes:
        path: the file.
        data: its bytes, or None if it did not exist.
        times: ``(st_atime_ns, st_mtime_ns)``, or None if it did not exist.
    """

    path: Path
    data: bytes | None
    times: tuple[int, int] | None

    @classmethod
    def take(cls, path: Path) -> Snapshot:
        """The state of ``path`` now."""
        try:
            st = path.stat()
            return cls(path, path.read_bytes(), (st.st_atime_ns, st.st_mtime_ns))
        except FileNotFoundError:
            return cls(path, None, None)

    def restore(self) -> None:
        """Put the file back as it was (atomically: a sibling renamed into place)."""
        if self.data is None:
            self.path.unlink(missing_ok=True)
            return
        if Snapshot.take(self.path) == self:
            return  # untouched
        tmp = self.path.with_name(f".{self.path.name}.restore")
        tmp.write_bytes(self.data)
        if self.times is not None:
            os.utime(tmp, ns=self.times)
        tmp.replace(self.path)


def calibration_files(defs: Sequence[SliceDef]) -> list[Path]:
    """The calibration files the slices with a calibration entry write.

    Raises:
        InputError: if one of them cannot be written (its folder missing or read-only).
    """
    files = [Path(d.calibration_file) for d in defs if d.calibrate and d.calibration_file]
    for f in files:
        if not f.parent.is_dir() or not os.access(f.parent, os.W_OK):
            raise InputError(
                f"calibration file {f}: its folder cannot be written (abm calibrate rewrites "
                "the package's calibration files: run it in a writable checkout)"
            )
        if f.is_dir():
            raise InputError(f"calibration file {f} is a directory")
    return files


@contextmanager
def restored_on_failure(files: Sequence[Path], model: str) -> Iterator[None]:
    """Lock ``files``, keep their state, and put it back if the block raises.

    Anything raised (``KeyboardInterrupt`` included) restores every file, re-reads the
    catalogues and is raised again.
    """
    with ExitStack() as locks:
        for f in files:
            locks.enter_context(StoreLock(f, what="abm calibrate"))
        kept = [Snapshot.take(f) for f in files]
        try:
            yield
        except BaseException:
            for snap in kept:
                snap.restore()
            reload_catalogues(model)
            log.warning("calibration not finished: restored %s", ", ".join(map(str, files)))
            raise


def calibrate(
    config: str | Path,
    coverage_runs: int = 2000,
    seed: int = 0,
    report: str | Path | None = None,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Calibrate every slice of the scenario's model, then report coverage.

    The arguments are checked first; nothing is written unless they are valid. The
    slices' calibration files are written as the slices calibrate (a later slice reads
    the priors an earlier one wrote) and all restored, byte for byte, if anything fails
    before the end; the report is written last, atomically.

    Args:
        config: the base scenario (``configs/scenarios/otl.yaml``).
        coverage_runs: runs of the coverage check (0: none).
        seed: seed of the coverage runs.
        report: if given, also write the coverage table (Markdown) there.
        say: where report lines go.

    Returns:
        The coverage rows (empty when ``coverage_runs`` is 0).

    Raises:
        InputError: a bad scenario, run count, seed or report path, or a calibration file
            that cannot be written or that another ``abm calibrate`` is writing.
    """
    from abm.config import load_scenario

    if coverage_runs < 0:
        raise InputError(f"--coverage-runs must be >= 0, got {coverage_runs}")
    if not 0 <= seed < 2**32:
        raise InputError(f"--seed must be in [0, 2**32), got {seed}")
    sc = load_scenario(config)
    if report is not None:
        parent = Path(report).parent
        if not parent.is_dir():
            raise InputError(f"--report {report}: folder {parent} does not exist")
        if Path(report).is_dir():
            raise InputError(f"--report {report} is a directory")
        if not os.access(parent, os.W_OK):
            raise InputError(f"--report {report}: folder {parent} cannot be written")
    defs = registry.slice_defs(sc.model_name)
    with restored_on_failure(calibration_files(defs), sc.model_name):
        for d in defs:
            if d.calibrate is None:
                continue
            for line in d.calibrate(lambda: load_scenario(config)):
                say(line)
            reload_catalogues(sc.model_name)
        if coverage_runs == 0:
            return []
        sc = load_scenario(config)
        rows = coverage(sc.model(), sc.prior_table(), coverage_runs, seed=seed)
        text = coverage_markdown(rows, coverage_runs, seed)
        say(text)
        if report is not None:
            tmp = Path(f"{report}.tmp")
            tmp.write_text(text + "\n", encoding="utf-8")
            tmp.replace(report)
    return rows
