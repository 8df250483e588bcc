"""The peasant blocs' fixed data (``data/soviet_regions.csv``, sources in ``data/soviet/``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from abm.models.catalogue import data_rows
from abm.models.interwar.soviet.constants import FAMINE_GROUPS, REGION_GROUPS

REGIONS_FILE = "soviet_regions.csv"
COLUMNS = (
    "region",
    "group",
    "population_1926",
    "rural_population_1926",
    "grain_area_share",
    "nomad_share",
    "livestock_per_head",
    "targeted",
    "source_key",
)


@dataclass(frozen=True)
class Regions:
    """Per-region constants, each ``[R]`` (numpy, float32 unless said).

    Attributes:
        names: region names.
        group: int32 index into ``REGION_GROUPS``.
        rural_population: rural population in 1926, millions.
        area_share: share of the USSR grain sown area (sums to 1).
        nomad_share: share of the rural population living from (semi-)nomadic herding.
        targeted: how far our timeline's 1932-33 procurement singled the region out, 0..1
            (1: Ukraine, the North Caucasus, Kazakhstan, the Lower Volga; 0.5: the Middle
            Volga, whose famine was lighter; Davies & Wheatcroft 2004, ch. 6-7).
        famine_mask: float32 ``[G, R]``: region counts in famine group g (total, Ukraine,
            Kazakhstan).
    """

    names: tuple[str, ...]
    group: np.ndarray
    rural_population: np.ndarray
    area_share: np.ndarray
    nomad_share: np.ndarray
    targeted: np.ndarray
    famine_mask: np.ndarray

    @property
    def n(self) -> int:
        """Number of regions ``R``."""
        return len(self.names)


@cache
def regions() -> Regions:
    """The regions table, checked (raises ValueError naming the row and field)."""
    rows = data_rows(REGIONS_FILE)
    if not rows or tuple(rows[0].keys()) != COLUMNS:
        raise ValueError(f"{REGIONS_FILE}: columns must be {', '.join(COLUMNS)}")
    for i, row in enumerate(rows, start=2):
        if row["group"] not in REGION_GROUPS:
            raise ValueError(
                f"{REGIONS_FILE} line {i}: group {row['group']!r} is not one of "
                f"{', '.join(REGION_GROUPS)}"
            )
    group = np.array([REGION_GROUPS.index(r["group"]) for r in rows], np.int32)
    f32 = lambda col: np.array([float(r[col]) for r in rows], np.float32)  # noqa: E731
    share = f32("grain_area_share")
    if abs(float(share.sum()) - 1.0) > 1e-4:
        raise ValueError(f"{REGIONS_FILE}: grain_area_share sums to {share.sum():.6f}, not 1")
    mask = np.zeros((len(FAMINE_GROUPS), len(rows)), np.float32)
    mask[0] = 1.0
    mask[1] = group == REGION_GROUPS.index("ukraine")
    mask[2] = group == REGION_GROUPS.index("kazakhstan")
    return Regions(
        names=tuple(r["region"] for r in rows),
        group=group,
        rural_population=f32("rural_population_1926") / 1000.0,
        area_share=share / share.sum(),
        nomad_share=np.clip(f32("nomad_share"), 0.0, 1.0),
        targeted=f32("targeted"),
        famine_mask=mask,
    )
