"""Run lanes: the granularity of a chunk (no JAX here; :mod:`abm.bench` and models use it).

Chunks hold a multiple of :data:`RUN_LANES` runs per device. XLA flattens elementwise
loops and may compute the SIMD body and the scalar tail of a loop with different
floating-point contractions; with whole 16-run lanes (the widest SIMD unit on these
machines holds 16 float32) every run goes through the same code whatever the chunk
size, which keeps results bit-identical across chunk sizes and devices.
"""

from __future__ import annotations

#: Runs per lane; chunks hold whole lanes per device.
RUN_LANES = 16

__all__ = ["RUN_LANES"]
