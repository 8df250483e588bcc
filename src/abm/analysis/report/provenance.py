"""The report's title and provenance section (the cube's attributes and its config)."""

from __future__ import annotations

import xarray as xr

from abm.analysis.report.document import Doc
from abm.cube.schema import POINT_DIM

#: Provenance attributes listed first, in this order; the others follow alphabetically.
PROVENANCE_FIRST = (
    "sweep",
    "scenario",
    "stance",
    "model",
    "seed",
    "runs_per_point",
    "n_points",
    "varied",
    "design",
    "batch_points",
    "n_batches",
    "chunk_size",
    "config_hash",
    "config_path",
    "scenario_path",
    "abm_version",
    "jax_version",
    "git_commit",
    "jax_backend",
    "device_kind",
    "device_count",
    "n_devices",
    "created",
    "finished",
    "wall_time_s",
    "run_keys",
    "schema",
    "schema_version",
)

#: Attributes kept out of the provenance table (the config is shown on its own).
LONG_ATTRS = ("config",)


def title(cube: xr.Dataset) -> str:
    """The report's title: the sweep or scenario, and the stance when one is set."""
    a = cube.attrs
    stance = a.get("stance")
    under = f", stance {stance}" if stance and stance != "none" else ""
    if POINT_DIM in cube.dims and "sweep" in a:
        return f"Sweep {a['sweep']} (scenario {a.get('scenario', '?')}{under})"
    return f"Scenario {a.get('scenario', '?')}{under}"


def provenance(doc: Doc, cube: xr.Dataset) -> None:
    """Every dataset attribute (known ones first), then the resolved config, collapsed."""
    attrs = {str(k): v for k, v in cube.attrs.items()}
    keys = [k for k in PROVENANCE_FIRST if k in attrs]
    keys += sorted(k for k in attrs if k not in keys and k not in LONG_ATTRS)
    doc.section("provenance", "Provenance")
    doc.table(["attribute", "value"], [[k, attrs[k]] for k in keys], classes=["key", "val"])
    text = attrs.get("config")
    if isinstance(text, str) and text:
        doc.details("Resolved config (the text its config_hash is the SHA-256 of)", text)


__all__ = ["LONG_ATTRS", "PROVENANCE_FIRST", "provenance", "title"]
