"""The set-up files agree: the CUDA lock with the CPU lock and the ``cuda`` extra, and
``abm info``'s GPU line on the CPU path and on GPU-like devices."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

from abm.api import gpu_summary

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    """``name -> version`` of a lock file's ``name==version`` lines."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_the_cuda_lock_matches_jax_and_the_extra() -> None:
    """``make setup-cuda`` installs JAX's CUDA plugin at the version of the locked jax and
    of the ``cuda`` extra; a jax upgrade without a new CUDA lock fails here."""
    cpu = _pins(ROOT / "requirements.lock")
    cuda = _pins(ROOT / "requirements-cuda.lock")
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["cuda"]
    (spec,) = extra
    pinned = re.search(r"==([\w.]+)", spec)
    assert pinned is not None, spec
    assert cpu["jax"] == cpu["jaxlib"] == pinned.group(1)
    assert cuda["jax-cuda12-plugin"] == cuda["jax-cuda12-pjrt"] == cpu["jax"]
    assert any(n.startswith("nvidia-") for n in cuda), "the NVIDIA libraries are not locked"
    assert not set(cuda) & set(cpu), "a package is pinned in both locks"
    makefile = (ROOT / "Makefile").read_text()
    assert "-c requirements-cuda.lock -e '.[dev,cuda]'" in makefile


def _device(platform: str, kind: str) -> SimpleNamespace:
    return SimpleNamespace(platform=platform, device_kind=kind)


def test_info_names_the_gpus_or_says_there_are_none() -> None:
    import jax

    here = gpu_summary(jax.devices())
    if jax.default_backend() == "cpu":
        assert here.startswith("none (JAX's backend: cpu") and "make setup-cuda" in here
    two = [_device("gpu", "NVIDIA H100 80GB HBM3")] * 2 + [_device("cpu", "cpu")]
    assert gpu_summary(two) == "2 x NVIDIA H100 80GB HBM3 (gpu)"
    mixed = [_device("cuda", "A"), _device("cuda", "B"), _device("cuda", "A")]
    assert gpu_summary(mixed) == "2 x A (cuda), 1 x B (cuda)"
    assert gpu_summary([]).startswith("none (JAX's backend: none")
