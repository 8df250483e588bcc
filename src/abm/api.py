"""The Python API behind the ``abm`` command: run, compare, trace, info.

Every function takes a scenario (YAML path or loaded :class:`Scenario`), ``overrides``
(``--set``) and ``stance`` (``--stance``: a name from ``configs/stances/``, a ``.yaml``
path, or ``"none"``; None keeps the scenario's own).

Example:
    >>> import abm  # doctest: +SKIP
    >>> ds = abm.run("configs/scenarios/otl.yaml", runs=1000, seed=0)  # doctest: +SKIP
    >>> float(ds["nazi_power_prob"])  # doctest: +SKIP
    >>> sk = abm.run("configs/scenarios/trotsky.yaml", stance="skeptic")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from abm import provenance
from abm.config import Scenario, load_scenario
from abm.config.scenario import NO_STANCE_ATTR
from abm.cube import build_cube, write_cube
from abm.engine.paired import PairedAccumulator, PairedRunner
from abm.engine.priors import PriorTable
from abm.engine.runner import Progress, Runner
from abm.errors import InputError
from abm.locks import check_unlocked
from abm.outputs import check_store_target

log = logging.getLogger("abm")

ConfigLike = str | Path | Scenario
StanceLike = str | Path | None
Overrides = Mapping[str, str] | Sequence[str]

if TYPE_CHECKING:
    from abm.replay import Trace


def _scenario(
    config: ConfigLike,
    overrides: Overrides = (),
    stance: StanceLike = None,
    posterior: StanceLike = None,
) -> Scenario:
    """The scenario, loaded (or reloaded with more overrides, a stance or a posterior)."""
    if isinstance(config, Scenario):
        if not overrides and stance is None and posterior is None:
            return config
        merged = {**config.overrides, **_merge(overrides)}
        keep = stance if stance is not None else (config.stance_path or "none")
        if posterior is None:
            posterior = config.posterior.path if config.posterior is not None else "none"
        return load_scenario(config.path, merged, keep, posterior)
    return load_scenario(config, overrides, stance, posterior)


def runner_for(sc: Scenario, chunk_size: int) -> Runner:
    """A :class:`Runner` of the scenario's model, carrying its posterior if it has one."""
    return Runner(sc.model(), chunk_size=chunk_size, posterior=sc.posterior_values())


def _settings(
    sc: Scenario, runs: int | None, seed: int | None, chunk: int | None
) -> tuple[int, int, int]:
    r = int(runs if runs is not None else sc.run_defaults["runs"])
    s = int(seed if seed is not None else sc.run_defaults["seed"])
    c = int(chunk if chunk is not None else sc.run_defaults["chunk_size"])
    if r < 1:
        raise ValueError(f"runs must be >= 1, got {r}")
    if not 0 <= s < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {s}")
    return r, s, min(c, r) if c > r else c


def _provenance(
    sc: Scenario, seed: int, runs: int, chunk: int, wall_s: float, runner: Runner
) -> dict[str, Any]:
    return provenance.collect(
        scenario=sc.name,
        config_path=str(sc.path),
        config=sc.resolved_text(),
        config_hash=sc.config_hash(),
        stance=sc.stance or NO_STANCE_ATTR,
        seed=seed,
        runs_per_point=runs,
        chunk_size=runner.chunk_size,
        n_devices=runner.n_devices,
        wall_time_s=round(wall_s, 3),
        model=runner.model.name,
        **_posterior_attrs(sc),
    )


def _posterior_attrs(sc: Scenario) -> dict[str, Any]:
    """Cube attributes naming the posterior the runs used (none without one)."""
    if sc.posterior is None:
        return {}
    return {
        "posterior": sc.posterior.path or "",
        "posterior_sha256": sc.posterior.digest(),
        "posterior_draws": sc.posterior.n_draws,
    }


def run(
    config: ConfigLike,
    runs: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    out: str | Path | None = None,
    overrides: Overrides = (),
    overwrite: bool = False,
    progress: Progress | None = None,
    stance: StanceLike = None,
    posterior: StanceLike = None,
) -> xr.Dataset:
    """Simulate a scenario and return its cube (and write it if ``out`` is given).

    Args:
        config: scenario YAML path or a loaded :class:`Scenario`.
        runs: Monte Carlo runs (default: the config's ``run.runs``).
        seed: seed (default: the config's ``run.seed``).
        chunk_size: runs per compiled chunk (default: the config's ``run.chunk_size``).
        out: where to write the Zarr cube (atomically).
        overrides: ``NAME=VALUE`` items or a mapping, pinning levers or parameters.
        overwrite: replace an existing cube at ``out`` (only a store abm wrote:
            :mod:`abm.outputs`).
        progress: callback (runs done, total, seconds).
        stance: stance name or ``.yaml`` path (``"none"``: none); None keeps the
            scenario's ``stance:``.
        posterior: a posterior file, ``"default"`` (the model's calibrated posterior)
            or ``"none"``; None keeps the scenario's ``posterior:``.

    Returns:
        The cube as an ``xarray.Dataset``.

    Raises:
        InputError: if ``out`` exists and ``overwrite`` is False, is not abm's to
            replace, or another process writes it (checked before simulating).
    """
    sc = _scenario(config, overrides, stance, posterior)
    n, s, c = _settings(sc, runs, seed, chunk_size)
    if out is not None:
        _check_writable(Path(out), overwrite)
    runner = runner_for(sc, c)
    model = runner.model
    log.info(
        "%s: %d runs, seed %d, chunks of %d on %d device(s)",
        sc.name,
        n,
        s,
        runner.chunk_size,
        runner.n_devices,
    )
    acc = runner.run(s, PriorTable.stack([sc.prior_table()]), n, progress=progress)
    ds = build_cube(
        acc, model.outcome_specs, model.calendar, _provenance(sc, s, n, c, acc.wall_s, runner)
    )
    if out is not None:
        _write(ds, Path(out), overwrite, "--out")
    return ds


class WriteError(OSError):
    """A result could not be written (a full disk, an I/O error): its ``str`` is one line.

    Attributes:
        errno: the operating system's error number (``errno.ENOSPC``).
        strerror: the message: the option, the path and the system's reason.
    """

    def __str__(self) -> str:
        return str(self.strerror)


def _write(ds: xr.Dataset, path: Path, overwrite: bool, option: str) -> None:
    """Write a cube (:func:`~abm.cube.write_cube`), naming ``path`` if the system refuses.

    ``write_cube`` writes a hidden sibling and renames it into place, removing it when
    anything fails: a failed write leaves ``path`` as it was.

    Raises:
        WriteError: if the operating system refuses the write (``ENOSPC`` and the like).
    """
    try:
        write_cube(ds, path, overwrite=overwrite)
    except OSError as exc:
        raise WriteError(
            exc.errno,
            f"{option} {path}: cannot write the cube: {exc.strerror or exc}; the path is left "
            "as it was (free some space or choose another path, and run again)",
        ) from exc
    log.info("wrote %s", path)


def _check_writable(path: Path, overwrite: bool, option: str = "--out") -> None:
    """Fail before simulating if the result could not be written.

    Refused: an existing path without ``overwrite``, anything abm did not write (with
    ``overwrite`` or not: :mod:`abm.outputs`), and a path another process is writing (a
    live sweep's store: :mod:`abm.locks`). :func:`~abm.cube.write_cube` checks again,
    under the lock, when it writes.

    Raises:
        OutputExistsError: if ``path`` exists and ``overwrite`` is False.
        InputError: if ``path`` is not abm's to replace, or is locked by another writer.
    """
    check_store_target(path, overwrite, option)
    check_unlocked(path)


@dataclass
class Comparison:
    """Two scenarios run with common random numbers.

    Attributes:
        a: cube of scenario A.
        b: cube of scenario B.
        table: one row per outcome cell: name, A, B, difference, 95 % interval.
        paired: the raw paired tallies.
        given: the conditions (``--given``), as written; empty: none. They are evaluated
            on scenario A's runs, and both cubes, the table and the tallies count only
            the paired runs that satisfy them.
        kept: paired runs kept by ``given`` (all runs without conditions).
        total: paired runs simulated.
    """

    a: xr.Dataset
    b: xr.Dataset
    table: list[dict[str, Any]]
    paired: PairedAccumulator
    given: tuple[str, ...] = ()
    kept: int = 0
    total: int = 0


def compare(
    config_a: ConfigLike,
    config_b: ConfigLike,
    runs: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    out_dir: str | Path | None = None,
    overrides: Overrides = (),
    overwrite: bool = False,
    progress: Progress | None = None,
    overrides_a: Overrides = (),
    overrides_b: Overrides = (),
    stance: StanceLike = None,
    given: Sequence[str] = (),
    posterior: StanceLike = None,
) -> Comparison:
    """Run two scenarios with common random numbers and tabulate paired differences.

    Args:
        config_a: first scenario (the baseline).
        config_b: second scenario.
        runs: runs (default: A's config).
        seed: seed shared by both (default: A's config).
        chunk_size: runs per chunk.
        out_dir: if given, both cubes are written there as ``NAME.zarr``.
        overrides: applied to both scenarios.
        overwrite: replace existing cubes.
        progress: callback (runs done, total, seconds).
        overrides_a: applied to A only (after ``overrides``).
        overrides_b: applied to B only (after ``overrides``); with the same config for
            A and B this isolates the effect of one lever.
        stance: stance name or ``.yaml`` path for both scenarios (``"none"``: none); None
            keeps each scenario's ``stance:``.
        given: conditions on scenario A's outcomes (``"nazi_power_month=1932-07..1933-06"``,
            :mod:`abm.conditions`; ANDed): only the paired runs in which A satisfies
            them are kept, in both cubes (whose ``n_runs`` is then the kept runs, so
            their probabilities are conditional ones, and whose attrs ``given``,
            ``given_kept`` and ``given_total`` record it) and in the differences.
        posterior: a posterior file, ``"default"`` or ``"none"`` for both scenarios;
            None keeps each scenario's ``posterior:``. Both must run on the same
            posterior: run r of each takes the same parameter vector from it.

    Returns:
        A :class:`Comparison`.

    Raises:
        InputError: if a condition is malformed (before simulating) or no run satisfies
            the conditions (nothing is written).
    """
    from abm.conditions import describe, parse_conditions
    from abm.report import comparison_rows

    sa = _scenario(config_a, _merge(overrides, overrides_a), stance, posterior)
    sb = _scenario(config_b, _merge(overrides, overrides_b), stance, posterior)
    digests = [None if x.posterior is None else x.posterior.digest() for x in (sa, sb)]
    if digests[0] != digests[1]:
        raise InputError(
            f"{sa.path} and {sb.path} run on different posteriors ({digests[0] or 'none'} vs "
            f"{digests[1] or 'none'}); paired worlds share their parameter draws: pass "
            "--posterior PATH (or default, or none) for both"
        )
    if sa.calendar != sb.calendar:
        raise InputError(f"{sa.path} and {sb.path} have different calendars; cannot pair runs")
    if sa.exogenous != sb.exogenous:  # one model runs both worlds (docs/exogenous.md)
        raise InputError(
            f"{sa.path} has exogenous: {sa.exogenous} but {sb.path} exogenous: {sb.exogenous}; "
            "paired worlds share their exogenous paths (use --exogenous MODE for both)"
        )
    n, s, c = _settings(sa, runs, seed, chunk_size)
    paths = []
    if out_dir is not None:
        names = [sa.name, sb.name] if sa.name != sb.name else [f"{sa.name}_a", f"{sb.name}_b"]
        paths = [Path(out_dir) / f"{nm}.zarr" for nm in names]
        for p in paths:
            _check_writable(p, overwrite, "--out-dir")
    model = sa.model()
    conds = parse_conditions(tuple(given), model.outcome_specs, model.calendar)
    runner = PairedRunner(model, chunk_size=c, posterior=sa.posterior_values())
    log.info("%s vs %s: %d paired runs, seed %d", sa.name, sb.name, n, s)
    table_a, table_b = sa.prior_table(), sb.prior_table()
    pacc = runner.run_paired(s, table_a, table_b, n, progress=progress, given=conds)
    extra: dict[str, Any] = {}
    if conds:
        text = describe(conds)
        if pacc.kept == 0:
            raise InputError(
                f"--given {text}: no run of {sa.name} satisfies it (kept 0 of {pacc.total} "
                "paired runs); nothing written (loosen the condition or run more runs)"
            )
        extra = {"given": text, "given_kept": pacc.kept, "given_total": pacc.total}
    cubes = [
        build_cube(
            acc,
            model.outcome_specs,
            model.calendar,
            {**_provenance(sc, s, n, c, acc.wall_s, runner), **extra},
        )
        for sc, acc in ((sa, pacc.a), (sb, pacc.b))
    ]
    for ds, p in zip(cubes, paths, strict=False):
        _write(ds, p, overwrite, "--out-dir")
    rows = comparison_rows(model.outcome_specs, cubes[0], cubes[1], pacc)
    return Comparison(
        a=cubes[0],
        b=cubes[1],
        table=rows,
        paired=pacc,
        given=tuple(c.text for c in conds),
        kept=pacc.kept,
        total=pacc.total,
    )


def trace(
    config: ConfigLike,
    seed: int,
    run: int,
    point: int = 0,
    overrides: Overrides = (),
    out: str | Path | None = None,
    overwrite: bool = False,
    stance: StanceLike = None,
    posterior: StanceLike = None,
) -> Trace:
    """Replay one run exactly, with its chronicle (:func:`abm.replay.trace`).

    Args:
        config: scenario YAML path or a loaded :class:`Scenario`.
        seed: the seed of the original simulation.
        run: run index.
        point: sweep-point index (0 for a single scenario).
        overrides: ``NAME=VALUE`` pins, as in the original simulation.
        out: if given, write the per-month state there as a Zarr cube.
        overwrite: replace an existing file at ``out``.
        stance: stance name or ``.yaml`` path, as in the original simulation.
        posterior: posterior file, ``"default"`` or ``"none"``, as in the original.
    """
    from abm.replay import trace as replay_trace

    sc = _scenario(config, overrides, stance, posterior)
    return replay_trace(sc, seed=seed, run=run, point=point, out=out, overwrite=overwrite)


def _merge(*items: Overrides) -> dict[str, str]:
    """Merge override lists or mappings; later ones win."""
    from abm.config import parse_overrides

    out: dict[str, str] = {}
    for it in items:
        out.update(it if isinstance(it, Mapping) else parse_overrides(list(it)))
    return out


def gpu_summary(devices: Sequence[Any]) -> str:
    """The GPUs among ``devices`` (JAX devices): their count and kinds, or why none.

    ``"2 x NVIDIA H100 80GB HBM3 (cuda)"``; ``"none (JAX's backend: cpu; on a GPU
    workstation run make setup-cuda)"`` where JAX sees no GPU.
    """
    gpus = [d for d in devices if d.platform in ("gpu", "cuda", "rocm")]
    if not gpus:
        backend = devices[0].platform if devices else "none"
        return f"none (JAX's backend: {backend}; on a GPU workstation run make setup-cuda)"
    kinds: dict[str, int] = {}
    for d in gpus:
        name = f"{getattr(d, 'device_kind', 'GPU')} ({d.platform})"
        kinds[name] = kinds.get(name, 0) + 1
    return ", ".join(f"{n} x {k}" for k, n in kinds.items())


def info() -> dict[str, str]:
    """Versions, JAX backend and devices, and where results go."""
    import jax

    d = provenance.collect()
    d["devices"] = ", ".join(str(x) for x in jax.devices())
    d["gpus"] = gpu_summary(jax.devices())
    d["results_dir"] = str(Path("results").resolve())
    d["python"] = __import__("sys").version.split()[0]
    for pkg in ("numpy", "xarray", "zarr", "dask", "prefect"):
        try:
            d[pkg] = __import__("importlib.metadata").metadata.version(pkg)
        except Exception:
            d[pkg] = "not installed"
    return {k: str(v) for k, v in d.items()}


from abm.api_worlds import worlds as worlds  # noqa: E402  (abm.api.worlds; imports this module)
