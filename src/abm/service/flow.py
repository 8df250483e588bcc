"""The ``abm-sweep`` Prefect flow: a sweep's batches as retried Prefect tasks.

The flow runs exactly the steps of ``abm sweep`` (:mod:`abm.sweep.run`):

1. under the store's writer lock (:class:`~abm.sweep.store.SweepLock`, held by the flow's
   process), :func:`~abm.sweep.run.plan_sweep` writes the store's template or checks the
   unfinished store there;
2. the subflow ``abm-sweep-batches`` submits one task per batch of points
   (:func:`sweep_batch` -> :func:`~abm.sweep.run.run_batch`: the batch's points vmapped
   in one compiled program, its region written, then its points marked done), on
   threads in this process or, given ``dask_address``, on an existing Dask cluster
   through Prefect's Dask task runner;
3. :func:`~abm.sweep.run.finish_sweep` stamps the finished store; the flow leaves a table
   artifact (batches, wall time, runs/s), a markdown report with the headline plots and
   a progress artifact updated as batches finish.

Resuming, and no result cache. The cube is the only cache: a batch is idempotent and
reads the store's ``points_done`` first, so an unchanged rerun simulates nothing (every
batch ``in store``), a changed config (a new hash) is refused on the old store or runs
into a new one, and a flow killed at any moment (``kill -9`` included) and run again runs
only the batches not yet written; the cube equals an uninterrupted one bit for bit (runs
are keyed by global point and run, never by batch or worker). Prefect's result cache is
off for every task and flow here (``NO_CACHE``, ``persist_result=False``): Prefect
deserialises a stored result with the serializer its file names, pickle included, so a
file planted under ``$PREFECT_HOME/storage`` (a folder shared across machines, say)
would run code when a sweep is rerun. Nothing of this flow is written there or read
back; a batch's result (:func:`sweep_batch`: plain JSON data, the batch's region and
timings) comes back to the flow in memory.

Dask. Workers must see the store's path (one machine, or a shared filesystem) and import
``abm`` from the same environment; start them with ``PREFECT_API_URL`` exported so they
report to the same Prefect server.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from abm.cube import open_cube
from abm.errors import InputError
from abm.service.artifacts import artifact_key, batch_rows, report_markdown, summary_rows
from abm.sweep import store
from abm.sweep.config import load_sweep
from abm.sweep.run import check_arguments, finish_sweep, plan_sweep, run_batch

#: Attempts after a batch task fails (an I/O hiccup, a worker lost).
BATCH_RETRIES = 2
#: Seconds between attempts.
BATCH_RETRY_DELAY_S = 5


#: Seconds to wait for a Dask scheduler to accept a connection.
DASK_TIMEOUT_S = 5.0


def check_scheduler(address: str, timeout: float = DASK_TIMEOUT_S) -> None:
    """Check that something accepts connections at a Dask scheduler's address.

    A plain TCP connect to its host and port, within ``timeout``: an unreachable cluster
    is refused in one line before the flow starts, not by Dask's retries much later.

    Raises:
        InputError: if ``address`` is not ``SCHEME://HOST:PORT`` or nothing answers there.
    """
    shown = address if len(address) <= 80 else f"{address[:77]}..."
    try:
        parts = urllib.parse.urlsplit(address)
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:
        scheme, host, port = "", None, None
    if not scheme or not host or port is None:
        raise InputError(
            f"--dask-address {shown!r} is not a scheduler address; allowed: "
            "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"--dask-address {shown}: no Dask scheduler answers there ({reason}, waited at "
            f"most {timeout:g} s); start one (`dask scheduler`) or fix the address"
        ) from None


def task_runner(dask_address: str | None = None) -> TaskRunner[Any]:
    """Where the batches run: the Dask cluster at ``dask_address``, else one thread here.

    One thread: the compiled batch already uses every core of this machine (and every
    device: :mod:`abm.engine.devices` shards a batch's runs over them).
    """
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=1)


@task(
    name="sweep-batch",
    task_run_name="batch {batch}",
    cache_policy=NO_CACHE,  # never read a stored (possibly planted) result back
    persist_result=False,
    retries=BATCH_RETRIES,
    retry_delay_seconds=BATCH_RETRY_DELAY_S,
)
def sweep_batch(
    config: str,
    config_hash: str,
    store_uid: str,
    out: str,
    batch: int,
    runs: int,
    batch_points: int,
) -> dict[str, Any]:
    """Simulate one batch of points and write it into its region of the store.

    Args:
        config: the sweep file (absolute path).
        config_hash: the sweep's hash when the flow planned it; a file changed since is
            refused.
        store_uid: the store's ``store_uid`` (shown with the task run's inputs).
        out: the store (absolute path).
        batch: the batch's index.
        runs: runs per point.
        batch_points: points per batch.

    Returns:
        :class:`~abm.sweep.run.BatchResult` as a dict of JSON scalars (str, int, float,
        bool).
    """
    sweep = load_sweep(config)
    if sweep.config_hash() != config_hash:
        raise store.SweepError(
            f"{config} changed while its sweep was running (hash {sweep.config_hash()[:12]}, "
            f"planned {config_hash[:12]}); run the sweep again"
        )
    res = run_batch(sweep, out, batch, runs, batch_points)
    get_run_logger().info(
        "batch %d: points %d-%d, %s",
        batch,
        res.start,
        res.stop - 1,
        "already in the store"
        if res.skipped
        else f"{res.runs:,} runs in {res.wall_s:.1f} s ({res.runs_per_s:,.0f} runs/s)",
    )
    return json_safe(asdict(res))


def json_safe(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` if every value is a JSON scalar (numpy scalars made Python ones).

    Raises:
        TypeError: for any other value: a batch's result must stay plain data.
    """
    out: dict[str, Any] = {}
    for key, value in result.items():
        if hasattr(value, "item") and not isinstance(value, str | bytes):
            value = value.item()  # a numpy scalar
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(f"batch result {key}={value!r} is not a JSON scalar")
        out[str(key)] = value
    return out


@flow(name="abm-sweep-batches", persist_result=False)
def sweep_batches(
    config: str,
    config_hash: str,
    store_uid: str,
    out: str,
    n_batches: int,
    n_points: int,
    runs: int,
    batch_points: int,
) -> list[dict[str, Any]]:
    """Every batch of a planned sweep as one task each; results in completion order.

    Each result carries ``status``: ``ran``, or ``in store`` (the task found the batch
    already written: nothing simulated).
    """
    logger = get_run_logger()
    # A UUID in a sync flow (Prefect types it as UUID or its coroutine).
    progress = create_progress_artifact(
        progress=0.0,
        key=artifact_key(Path(out).stem, "progress"),
        description=f"points of {out} written",
    )
    futures = [
        sweep_batch.submit(config, config_hash, store_uid, out, b, runs, batch_points)
        for b in range(n_batches)
    ]
    results: list[dict[str, Any]] = []
    points = 0
    t0 = time.perf_counter()
    for fut in as_completed(futures):
        res = dict(fut.result())
        res["status"] = "in store" if res["skipped"] else "ran"
        results.append(res)
        points += int(res["stop"]) - int(res["start"])
        ran = sum(int(r["runs"]) for r in results)
        seconds = time.perf_counter() - t0
        logger.info(
            "%d/%d batches, %d/%d points (%.0f%%), %s runs/s",
            len(results),
            n_batches,
            points,
            n_points,
            100.0 * points / n_points,
            f"{ran / seconds:,.0f}" if seconds > 0 else "-",
        )
        update_progress_artifact(progress, 100.0 * points / n_points)  # type: ignore[arg-type]
    return results


@flow(name="abm-sweep", flow_run_name="{out}", persist_result=False)
def sweep_flow(
    config: str,
    out: str,
    runs: int | None = None,
    batch_points: int | None = None,
    overwrite: bool = False,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Run a sweep into one Zarr cube, resuming it if unfinished; leave artifacts.

    Args:
        config: the sweep file (``configs/sweeps/*.yaml``).
        out: the cube's path (a Zarr store directory).
        runs: runs per point (default: the sweep's ``runs_per_point``).
        batch_points: points per batch (default: the store's, the sweep's, or about 8
            chunks of runs within the memory budget).
        overwrite: replace a store of another sweep at ``out``.
        dask_address: ``tcp://HOST:PORT`` of a Dask scheduler to run the batches on;
            default: one thread in this process.

    Returns:
        The summary: ``out``, points done, runs and wall time of this flow run, and the
        batch counts by status.
    """
    logger = get_run_logger()
    sweep = load_sweep(config)
    out_path = Path(out).resolve()
    check_arguments(sweep, out_path, runs, batch_points)  # before the lock: nothing created
    if dask_address:
        check_scheduler(dask_address)
    t0 = time.perf_counter()
    with store.SweepLock(out_path):
        plan = plan_sweep(sweep, out_path, runs, batch_points, overwrite)
        where = f"Dask cluster {dask_address}" if dask_address else "this process"
        logger.info("%s", plan.describe(sweep.name, where))
        batches_flow = sweep_batches.with_options(task_runner=task_runner(dask_address))
        results = batches_flow(
            str(plan.config_path),
            plan.config_hash,
            plan.store_uid,
            str(out_path),
            plan.n_batches,
            plan.n_points,
            plan.runs,
            plan.batch_points,
        )
        wall = time.perf_counter() - t0
        if not finish_sweep(out_path, wall):
            raise store.SweepError(f"{out_path}: points still not done after every batch ran")
        with store.quiet_lock():
            ds = open_cube(out_path)
            summary = summary_rows(ds, results, wall)
            create_table_artifact(
                key=artifact_key(sweep.name, "batches"),
                table=batch_rows(results),
                description=f"Batches of {out_path}",
            )
            create_table_artifact(
                key=artifact_key(sweep.name, "summary"),
                table=summary,
                description=f"Sweep {sweep.name} -> {out_path}",
            )
            create_markdown_artifact(
                key=artifact_key(sweep.name, "report"),
                markdown=report_markdown(ds, str(out_path), summary),
                description=f"Headline plots of {out_path}",
            )
    logger.info(
        "%s: %s points done, %d runs in %.1f s -> %s",
        sweep.name,
        summary[0]["points_done"],
        summary[0]["runs"],
        wall,
        out_path,
    )
    return {"out": str(out_path), **summary[0]}


__all__ = [
    "BATCH_RETRIES",
    "check_scheduler",
    "json_safe",
    "sweep_batch",
    "sweep_batches",
    "sweep_flow",
    "task_runner",
]
