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
    if n is not None and n > 0:
        jax.config.update("jax_num_cpu_devices", int(n))


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
