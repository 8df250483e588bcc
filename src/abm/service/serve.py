"""Scheduled sweeps: deployments of the ``abm-sweep`` flow with cron schedules.

A service file (``configs/service.yaml``)::

    deployments:
      - name: purge-x-united-front-nightly   # lowercase letters, digits, dashes
        description: "..."
        sweep: sweeps/purge_x_united_front.yaml   # relative to the service file
        out: results/sweeps/purge_x_united_front.zarr   # relative to the working dir
        cron: "30 2 * * *"
        timezone: UTC                        # IANA name (default UTC)
        runs: 1000                           # optional: runs per point
        dask_address: tcp://host:8786        # optional: an existing Dask cluster
        overwrite: false                     # optional: replace another sweep's store
                                             # (only a store abm wrote, never anything else)

:func:`serve` registers every deployment with the Prefect server at ``PREFECT_API_URL``
and runs their flow runs as they come due (Prefect's runner, one process), with
``pause_on_shutdown=False``: stopping or restarting the service leaves the schedules
active, and the server keeps scheduling runs that the next ``abm serve`` picks up.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from abm.config.errors import ConfigError, Loc
from abm.config.values import check_keys, read_mapping, string
from abm.errors import InputError
from abm.outputs import foreign_reason
from abm.sweep.config import load_sweep

DEPLOYMENT_KEYS = (
    "name",
    "description",
    "sweep",
    "out",
    "cron",
    "timezone",
    "runs",
    "dask_address",
    "overwrite",
)
REQUIRED = ("name", "sweep", "out", "cron")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: The Prefect tags of every deployment.
TAGS = ("abm", "sweep")


@dataclass(frozen=True)
class ScheduledSweep:
    """One deployment of the service file, checked.

    Attributes:
        name: the deployment's name (``abm-sweep/<name>`` in Prefect).
        description: shown in Prefect.
        sweep: the sweep file, absolute.
        out: the cube's path, absolute.
        cron: a five-field cron expression.
        timezone: an IANA time zone.
        runs: runs per point, or None for the sweep's.
        dask_address: a Dask scheduler, or None for threads in the flow run's process.
        overwrite: replace another sweep's store or a scenario's cube at ``out`` (never
            anything abm did not write: :mod:`abm.outputs`).
    """

    name: str
    description: str
    sweep: Path
    out: Path
    cron: str
    timezone: str
    runs: int | None
    dask_address: str | None
    overwrite: bool

    def parameters(self) -> dict[str, Any]:
        """The flow's parameters."""
        return {
            "config": str(self.sweep),
            "out": str(self.out),
            "runs": self.runs,
            "overwrite": self.overwrite,
            "dask_address": self.dask_address,
        }


def _cron(value: Any, loc: Loc) -> str:
    from prefect.client.schemas.schedules import CronSchedule  # Prefect's own check
    from pydantic import ValidationError

    allowed = "a five-field cron expression, e.g. '30 2 * * *'"
    text = string(value, loc, allowed)
    try:
        CronSchedule(cron=text)
    except ValidationError as exc:
        raise loc.error(text, "not a valid cron expression", allowed) from exc
    if len(text.split()) != 5:
        raise loc.error(text, "not five fields", allowed)
    return text


def load_service(path: str | os.PathLike[str], workdir: Path | None = None) -> list[ScheduledSweep]:
    """Read and check a service file; every sweep file is loaded and checked too.

    Args:
        path: the service YAML.
        workdir: the directory ``out`` paths are relative to (default: the current one).

    Raises:
        ConfigError: naming the file, the field, the value and what is allowed.
    """
    file, shown = Path(path), str(path)
    raw = read_mapping(file, shown, "a service YAML file with a list of deployments")
    top = Loc(shown)
    check_keys(raw, top, ("deployments",), "top-level key")
    items = raw.get("deployments")
    loc = top.child("deployments")
    if not isinstance(items, list) or not items:
        raise loc.error(items, "not a non-empty list", "a list of deployments")
    base = (workdir or Path.cwd()).resolve()
    out: list[ScheduledSweep] = []
    for i, item in enumerate(items):
        here = loc.child(str(i))
        if not isinstance(item, dict):
            raise here.error(item, "not a mapping", "a deployment: name, sweep, out, cron, ...")
        check_keys(item, here, DEPLOYMENT_KEYS, "deployment key")
        for key in REQUIRED:
            if key not in item:
                raise here.child(key).error(None, "missing required key", f"{key}: ...")
        name = string(item["name"], here.child("name"), "lowercase letters, digits, dashes")
        if not NAME_RE.match(name) or name in {d.name for d in out}:
            raise here.child("name").error(
                name, "not a new name of lowercase letters, digits and dashes", "e.g. nightly-grid"
            )
        sweep_file = (file.parent / string(item["sweep"], here.child("sweep"), "a path")).resolve()
        if not sweep_file.is_file():
            raise here.child("sweep").error(item["sweep"], f"no file {sweep_file}", "a sweep YAML")
        load_sweep(sweep_file)  # fail now, not at 02:30
        tz = string(item.get("timezone", "UTC"), here.child("timezone"), "an IANA time zone")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise here.child("timezone").error(tz, "unknown time zone", "e.g. UTC") from exc
        runs = item.get("runs")
        if runs is not None and (isinstance(runs, bool) or not isinstance(runs, int) or runs < 1):
            raise here.child("runs").error(runs, "not a positive integer", "an integer >= 1")
        address = item.get("dask_address")
        if address is not None and not (
            isinstance(address, str) and re.match(r"^[a-z]+://", address)
        ):
            raise here.child("dask_address").error(
                address, "not a scheduler address", "e.g. tcp://127.0.0.1:8786"
            )
        overwrite = item.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise here.child("overwrite").error(overwrite, "not a boolean", "true or false")
        out_path = (base / string(item["out"], here.child("out"), "a path")).resolve()
        why = foreign_reason(out_path)
        if why is not None:  # fail now, not at 02:30; the flow refuses it too
            raise here.child("out").error(
                item["out"],
                f"{out_path} exists and is {why}: abm never writes over it, overwrite or not",
                "a new path, or a sweep store or cube written by abm",
            )
        out.append(
            ScheduledSweep(
                name=name,
                description=string(item.get("description", ""), here.child("description"), "text"),
                sweep=sweep_file,
                out=out_path,
                cron=_cron(item["cron"], here.child("cron")),
                timezone=tz,
                runs=runs,
                dask_address=address,
                overwrite=overwrite,
            )
        )
    return out


def deployments(scheduled: list[ScheduledSweep]) -> list[Any]:
    """Prefect ``RunnerDeployment`` objects of the ``abm-sweep`` flow, one per entry."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from abm.service.flow import sweep_flow

    return [
        sweep_flow.to_deployment(
            name=s.name,
            description=s.description or None,
            schedule=Cron(s.cron, timezone=s.timezone),
            parameters=s.parameters(),
            tags=list(TAGS),
            # abm.service.flow:sweep_flow, not a file path relative to where serve runs.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for s in scheduled
    ]


class ServiceError(InputError, RuntimeError):
    """The service cannot start (no Prefect server to serve to)."""


#: Seconds to wait for the Prefect server's health check before calling it unreachable.
API_TIMEOUT_S = 5.0
#: How to start a server, for the messages.
START_SERVER = (
    "start one with `prefect server start` (another terminal), then "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api`"
)


def check_api(url: str, timeout: float = API_TIMEOUT_S) -> None:
    """Check that a Prefect server answers at ``url`` (its ``/health``), within ``timeout``.

    Raises:
        ServiceError: in one line, if ``url`` is not an ``http(s)://HOST[:PORT]/...`` URL,
            nothing answers there in time, or what answers is not a Prefect API.
    """
    shown = url if len(url) <= 80 else f"{url[:77]}..."
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(
            f"PREFECT_API_URL={shown!r} is not a Prefect API URL; allowed: "
            "http(s)://HOST:PORT/api, e.g. http://127.0.0.1:4200/api"
        )
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout) as answer:
            answer.read(64)
    except urllib.error.HTTPError as exc:
        raise ServiceError(
            f"PREFECT_API_URL={shown}: the server there is not a Prefect API (its /health "
            f"answers HTTP {exc.code}); set PREFECT_API_URL to a Prefect server's /api URL"
        ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        reason = getattr(reason, "strerror", None) or reason
        raise ServiceError(
            f"no Prefect server answers at PREFECT_API_URL={shown} ({reason}, waited at most "
            f"{timeout:g} s): {START_SERVER}, or unset PREFECT_API_URL"
        ) from None


def api_url() -> str:
    """The Prefect server's API URL, checked to answer (:func:`check_api`).

    Raises:
        ServiceError: if ``PREFECT_API_URL`` is not set (saying how to start a server),
            or no Prefect server answers there.
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ServiceError(
            f"abm serve needs a Prefect server with its scheduler: {START_SERVER}, and run "
            "abm serve again"
        )
    check_api(str(url))
    return str(url)


def export_jax_settings() -> None:
    """Hand this process's JAX settings to the flow runs it starts.

    Prefect's runner starts every flow run in a new process with this process's
    environment, and that process never runs ``abm``'s start-up: without the ``JAX_*``
    variables (read by JAX at import) every scheduled run compiled its programs afresh,
    ignoring the compilation cache, and ignored ``abm --devices`` / ``$ABM_CPU_DEVICES``.
    """
    import jax

    config: Any = jax.config  # its options are dynamic attributes
    cache = config.jax_compilation_cache_dir
    if cache:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(cache)
        os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = str(
            config.jax_persistent_cache_min_compile_time_secs
        )
    devices = config.jax_num_cpu_devices
    if devices > 0:
        os.environ["JAX_NUM_CPU_DEVICES"] = str(devices)


def serve(scheduled: list[ScheduledSweep]) -> None:
    """Register the deployments and run their flow runs until interrupted.

    Raises:
        ServiceError: if ``PREFECT_API_URL`` is not set or no Prefect server answers.
    """
    from prefect import serve as prefect_serve

    api_url()
    export_jax_settings()
    prefect_serve(*deployments(scheduled), pause_on_shutdown=False)


__all__ = [
    "ConfigError",
    "ScheduledSweep",
    "ServiceError",
    "api_url",
    "check_api",
    "deployments",
    "export_jax_settings",
    "load_service",
    "serve",
]
