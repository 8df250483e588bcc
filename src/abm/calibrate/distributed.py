"""The calibration as the Prefect flow ``abm-calibrate``, its runs on threads or on Dask.

The SMC itself (:func:`abm.calibrate.run.calibrate`: tempering, resampling, moves and
the resumable store) runs in the flow's process; every batch of parameter vectors it
simulates is split into tasks of ``batch_points`` vectors (:func:`calibration_batch`),
which run on one thread here or, given ``dask_address``, on an existing Dask cluster
through Prefect's Dask task runner. A task builds the calibration's simulator once per
worker process and checks that the config it reads is the one the flow started with.
Run keys are ``(seed, points[i, r])`` whatever the batch or worker, so the
posterior equals the local command's bit for bit. As for sweeps, Prefect's result cache
is off (results travel in memory, never through stored files).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from abm.calibrate.run import Problem, Simulate, calibrate, local_simulator, problem
from abm.errors import InputError
from abm.service.flow import BATCH_RETRIES, BATCH_RETRY_DELAY_S, check_scheduler, task_runner

_LOCK = threading.Lock()


def _simulator(config: str, identity: str) -> Any:
    """This process's simulator of the calibration ``config`` (refused if it changed)."""
    import hashlib

    with _LOCK:
        prob = problem(config)
        got = hashlib.sha256(prob.identity().encode("utf-8")).hexdigest()
        if got != identity:
            raise InputError(
                f"{config} changed since the calibration started (identity {got[:12]} "
                f"!= {identity[:12]}); rerun the command"
            )
        return local_simulator(prob)


@task(
    name="calibration-batch",
    task_run_name="vectors {first}..",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=BATCH_RETRIES,
    retry_delay_seconds=BATCH_RETRY_DELAY_S,
)
def calibration_batch(
    config: str, identity: str, theta: np.ndarray, points: np.ndarray, seed: int, first: int
) -> np.ndarray:
    """Simulate the runs of each parameter vector of a batch.

    Args:
        config: the calibration config (absolute path; workers read it).
        identity: SHA-256 of the calibration's identity (:meth:`Problem.identity`).
        theta: float ``[n, d]`` parameter vectors.
        points: int ``[n, R]``, each run's simulation number (its random numbers).
        seed: the simulations' seed.
        first: the batch's first vector in the whole batch (the task's name).

    Returns:
        float64 ``[n, R, n_targets]``.
    """
    return np.asarray(_simulator(config, identity)(theta, points, seed))


def prefect_simulator(config: str, batch_points: int) -> Any:
    """A ``simulate`` factory for :func:`calibrate` that maps batches over Prefect tasks."""
    import hashlib

    def make(prob: Problem) -> Simulate:
        identity = hashlib.sha256(prob.identity().encode("utf-8")).hexdigest()

        def simulate(theta: np.ndarray, points: np.ndarray, seed: int) -> np.ndarray:
            starts = range(0, theta.shape[0], batch_points)
            futures = [
                calibration_batch.submit(
                    config,
                    identity,
                    theta[i : i + batch_points],
                    points[i : i + batch_points],
                    seed,
                    i,
                )
                for i in starts
            ]
            return np.concatenate([f.result() for f in futures], axis=0)

        return simulate

    return make


@flow(name="abm-calibrate", persist_result=False)
def calibrate_flow(
    config: str,
    store: str,
    out: str | None = None,
    overwrite: bool = False,
    batch_points: int = 64,
) -> str:
    """Calibrate (or resume) with every simulation batch a Prefect task; the posterior's path."""
    logger = get_run_logger()
    result = calibrate(
        config, store, out, overwrite, simulate=prefect_simulator(config, batch_points)
    )
    logger.info(
        "posterior of %d vectors written to %s (beta %.4g, %d steps)",
        result.posterior.n_draws,
        result.path,
        result.state.beta,
        result.state.step,
    )
    return str(result.path)


def run_flow(
    config: str | Path,
    store: str | Path,
    out: str | Path | None,
    overwrite: bool,
    batch_points: int,
    dask_address: str | None,
) -> Path:
    """Run :func:`calibrate_flow` on threads here or on the Dask cluster at ``dask_address``."""
    if dask_address:
        check_scheduler(dask_address)
    runner = task_runner(dask_address)
    path = calibrate_flow.with_options(task_runner=runner)(
        str(Path(config).resolve()),
        str(Path(store).resolve()),
        None if out is None else str(Path(out).resolve()),
        overwrite,
        batch_points,
    )
    return Path(path)


__all__ = ["calibrate_flow", "calibration_batch", "prefect_simulator", "run_flow"]
