"""Replay one run exactly, with its chronicle and its month-by-month state."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from abm import provenance
from abm.config import Scenario, load_scenario
from abm.cube.store import write_cube
from abm.engine.runner import Runner
from abm.models.interwar.germany import constants as K


@dataclass
class Trace:
    """One replayed run.

    Attributes:
        scenario: the scenario.
        seed: seed.
        point: sweep-point index.
        run: run index.
        theta: float ``[n_params]`` the run's parameter draw.
        outcomes: per-run outcomes exactly as the reducers count them.
        chronicle: ``(YYYY-MM, text)`` events in order.
        states: per-month state (dimension ``month``) as a Dataset.
    """

    scenario: Scenario
    seed: int
    point: int
    run: int
    theta: np.ndarray
    outcomes: dict[str, np.ndarray]
    chronicle: list[tuple[str, str]]
    states: xr.Dataset


def _leaves(prefix: str, obj: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            out.update(_leaves(f"{prefix}{f.name}.", v))
        else:
            out[f"{prefix}{f.name}"] = np.asarray(v)
    return out


_DIM_BY_SIZE = {
    K.N_BLOCS: "bloc",
    K.N_PARTIES: "party",
    K.N_CONSTITUENCIES: "constituency",
    K.N_ELECTIONS: "election",
}


def states_dataset(states: Any, model: Any) -> xr.Dataset:
    """Every state leaf with a leading ``month`` dimension, labelled."""
    cal = model.calendar
    labels = lambda xs: np.array(list(xs), dtype=object)  # noqa: E731 - zarr v3 strings
    coords: dict[str, Any] = {
        "month": labels(cal.label(i) for i in range(model.n_months)),
        "party": labels(K.PARTIES),
        "constituency": labels(c[0] for c in K.CONSTITUENCIES),
        "election": labels(K.ELECTION_SLOTS),
        "year": np.array(model.year_labels),
    }
    data = {}
    for name, arr in _leaves("", states).items():
        dims = ["month"]
        for size in arr.shape[1:]:
            dim = (
                "year"
                if size == len(model.year_labels) and "unemployment_sum" in name
                else _DIM_BY_SIZE.get(size, f"dim_{size}")
            )
            dims.append(dim if dim not in dims else f"{dim}_2")
        data[name.replace(".", "__")] = (dims, arr)
    return xr.Dataset(
        data,
        coords={
            k: v for k, v in coords.items() if any(k in d for d in [v_[0] for v_ in data.values()])
        },
    )


def chronicle(states: Any, initial: Any, model: Any) -> list[tuple[str, str]]:
    """Events of a run, month by month, from consecutive states."""
    cal = model.calendar
    po, po0 = states.polity, initial.polity
    regime = np.concatenate([[po0.regime], po.regime])
    uf = np.concatenate([[po0.united_front], po.united_front])
    early = np.concatenate([[po0.early_election], po.early_election])
    out: list[tuple[str, str]] = []
    unemployed = states.economy.unemployed
    for t in range(model.n_months):
        lab = cal.label(t)
        held_now = np.flatnonzero(po.election_month[t] == t)
        for k in held_now:
            shares = po.shares[t][k]
            order = np.argsort(-shares)
            text = ", ".join(f"{K.PARTIES[j]} {100 * shares[j]:.1f}%" for j in order)
            early_tag = "" if cal.index_of(K.ELECTION_SLOTS[k]) == t else " (early)"
            out.append((lab, f"Reichstag election{early_tag} [slot {K.ELECTION_SLOTS[k]}]: {text}"))
        if early[t + 1] >= 0 and early[t] < 0:
            out.append(
                (lab, f"Reichstag dissolved; election called for {cal.label(int(early[t + 1]))}")
            )
        if uf[t + 1] and not uf[t]:
            out.append((lab, "KPD and SPD form a united front"))
        if regime[t + 1] != regime[t]:
            out.append((lab, _regime_text(int(regime[t]), int(regime[t + 1]))))
        if cal.months[t] == 12:
            year_mask = cal.years == cal.years[t]
            out.append(
                (
                    lab,
                    f"{cal.years[t]}: registered unemployed "
                    f"{unemployed[year_mask].mean():.2f} M (annual average)",
                )
            )
    return out


def _regime_text(old: int, new: int) -> str:
    if new == K.PRESIDENTIAL:
        return "cabinet falls; the president appoints a presidential cabinet (Article 48)"
    if new == K.PARLIAMENTARY:
        return (
            "return to parliamentary government"
            if old == K.PRESIDENTIAL
            else "parliamentary cabinet"
        )
    if new == K.NAZI:
        return "the NSDAP leader is appointed Reich Chancellor" + (
            " after the right wins the civil war" if old == K.CIVIL_WAR else ""
        )
    if new == K.AUTHORITARIAN:
        return "conservative-military dictatorship" + (
            " after the right wins the civil war" if old == K.CIVIL_WAR else " without the NSDAP"
        )
    if new == K.LEFT:
        return "the united left wins the civil war; left government"
    if new == K.CIVIL_WAR:
        return "civil war between the united left and the right"
    return f"regime {K.REGIMES[old]} -> {K.REGIMES[new]}"


def trace(
    config: str | Path | Scenario,
    seed: int,
    run: int,
    point: int = 0,
    overrides: Mapping[str, str] | Sequence[str] = (),
    out: str | Path | None = None,
    overwrite: bool = False,
) -> Trace:
    """Replay run ``run`` of point ``point`` under ``seed`` exactly, with its trace.

    Args:
        config: scenario path or Scenario.
        seed: the seed of the original simulation.
        run: run index.
        point: sweep-point index (0 for a single scenario).
        overrides: ``NAME=VALUE`` pins, as in the original simulation.
        out: if given, write the per-month state there as a Zarr cube.
        overwrite: replace an existing file at ``out``.
    """
    sc = config if isinstance(config, Scenario) else load_scenario(config, overrides)
    model = sc.model()
    runner = Runner(model, chunk_size=1)
    theta, s0, states, outcomes = runner.trace(seed, sc.prior_table(), point, run)
    ds = states_dataset(states, model)
    ds = ds.assign_coords(parameter=np.array(list(model.param_names), dtype=object))
    ds["theta"] = ("parameter", np.asarray(theta))
    ds.attrs.update(
        provenance.collect(
            schema="abm-trace",
            scenario=sc.name,
            config=sc.resolved_text(),
            config_hash=sc.config_hash(),
            seed=seed,
            point=point,
            run=run,
        )
    )
    if out is not None:
        write_cube(ds, out, overwrite=overwrite)
    return Trace(
        scenario=sc,
        seed=seed,
        point=point,
        run=run,
        theta=np.asarray(theta),
        outcomes={k: np.asarray(v) for k, v in outcomes.items()},
        chronicle=chronicle(states, s0, model),
        states=ds,
    )
