"""Which JAX devices a run uses, and how a chunk is spread over them."""

from __future__ import annotations

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

#: Environment variable: number of CPU devices to expose (set before JAX starts).
CPU_DEVICES_ENV = "ABM_CPU_DEVICES"


def configure_cpu_devices(n: int | None = None) -> None:
    """Expose ``n`` CPU devices (default: ``$ABM_CPU_DEVICES`` or 1).

    Must run before JAX's backend starts (the first array operation); later it has no
    effect and JAX keeps the device count it started with.
    """
    if n is None:
        env = os.environ.get(CPU_DEVICES_ENV)
        n = int(env) if env else None
    if n is None or n < 1:
        return
    try:
        jax.config.update("jax_num_cpu_devices", int(n))
    except RuntimeError as exc:  # the backend already started
        if len(jax.devices("cpu")) != n:
            raise RuntimeError(
                f"cannot expose {n} CPU devices: JAX already started with "
                f"{len(jax.devices('cpu'))}; set {CPU_DEVICES_ENV}={n} before starting"
            ) from exc


def enable_compilation_cache(path: str | None = None) -> None:
    """Keep compiled programs on disk (``$ABM_JAX_CACHE`` or ``~/.cache/abm/jax``).

    A second run of the same model and chunk shape then loads its program instead of
    compiling it again (seconds saved per command).
    """
    path = (
        path
        or os.environ.get("ABM_JAX_CACHE")
        or os.path.join(os.path.expanduser("~"), ".cache", "abm", "jax")
    )
    if path.lower() in ("0", "off", "none"):
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def run_mesh() -> Mesh:
    """A one-axis mesh named ``runs`` over every device of the default backend."""
    return Mesh(np.array(jax.devices()), ("runs",))


def runs_sharding(mesh: Mesh) -> NamedSharding:
    """Sharding that splits a leading runs axis over the mesh."""
    return NamedSharding(mesh, PartitionSpec("runs"))


def replicated(mesh: Mesh) -> NamedSharding:
    """Sharding that keeps a full copy on every device."""
    return NamedSharding(mesh, PartitionSpec())


def describe() -> dict[str, str]:
    """JAX version, backend, device count and kind, for provenance."""
    devs = jax.devices()
    return {
        "jax_version": jax.__version__,
        "jax_backend": jax.default_backend(),
        "device_count": str(len(devs)),
        "device_kind": devs[0].device_kind if devs else "none",
    }
