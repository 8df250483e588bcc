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
from abm.models.interwar.soviet import constants as SK


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


def _soviet_dims(name: str, shape: tuple[int, ...], model: Any) -> list[str]:
    """Dimension names of a Soviet state leaf (after ``month``), from its name and shape."""
    n_years, n_regions = len(model.calendar.year_labels), model.soviet.regions.n
    by_size = {n_years: "year", n_regions: "region", SK.N_FACTIONS: "faction"}
    if name.endswith("famine_deaths"):
        return ["region_group"]
    if name.endswith("army_record"):
        return ["army_date"]
    if name.endswith("china.record"):
        return ["ccp_date"]
    if name.endswith("pipeline"):
        return ["construction_stage"]
    if name.endswith("shocks.states"):
        return ["state", "year"]
    return [by_size.get(size, f"dim_{size}") for size in shape]


def states_dataset(states: Any, model: Any) -> xr.Dataset:
    """Every state leaf with a leading ``month`` dimension, labelled.

    Leaves are named by their path (``germany__polity__regime``,
    ``soviet__blocs__population``).
    """
    cal = model.calendar
    labels = lambda xs: np.array(list(xs), dtype=object)  # noqa: E731 - zarr v3 strings
    coords: dict[str, Any] = {
        "month": labels(cal.label(i) for i in range(model.n_months)),
        "party": labels(K.PARTIES),
        "constituency": labels(c[0] for c in K.CONSTITUENCIES),
        "election": labels(K.ELECTION_SLOTS),
        "year": np.array(cal.year_labels),
        "region": labels(model.soviet.regions.names),
        "faction": labels(SK.FACTIONS),
        "region_group": labels(SK.FAMINE_GROUPS),
        "army_date": labels(SK.ARMY_LABELS),
        "ccp_date": labels(SK.CCP_LABELS),
        "state": labels(SK.STATES),
    }
    data = {}
    for name, arr in _leaves("", states).items():
        if name.startswith("soviet."):
            own = _soviet_dims(name, arr.shape[1:], model)
        else:
            own = [
                "year"
                if size == len(cal.year_labels) and "unemployment_sum" in name
                else _DIM_BY_SIZE.get(size, f"dim_{size}")
                for size in arr.shape[1:]
            ]
        dims = ["month"]
        for dim in own:
            dims.append(dim if dim not in dims else f"{dim}_2")
        data[name.replace(".", "__")] = (dims, arr)
    used = {d for v in data.values() for d in v[0]}
    return xr.Dataset(data, coords={k: v for k, v in coords.items() if k in used})


def chronicle(states: Any, initial: Any, model: Any) -> list[tuple[str, str]]:
    """Events of a run, month by month, from consecutive states (both slices)."""
    events = _germany_chronicle(states.germany, initial.germany, model)
    events += _soviet_chronicle(states.soviet, initial.soviet, model)
    order = {lab: i for i, lab in enumerate(model.calendar.label(t) for t in range(model.n_months))}
    return sorted(events, key=lambda e: order[e[0]])


def _germany_chronicle(states: Any, initial: Any, model: Any) -> list[tuple[str, str]]:
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
        if cal.months[t] == 12 and cal.years[t] <= 1936:
            year_mask = cal.years == cal.years[t]
            out.append(
                (
                    lab,
                    f"{cal.years[t]}: registered unemployed in Germany "
                    f"{unemployed[year_mask].mean():.2f} M (annual average)",
                )
            )
    return out


def _soviet_chronicle(states: Any, initial: Any, model: Any) -> list[tuple[str, str]]:
    cal = model.calendar
    lead, lead0 = states.leadership, initial.leadership
    active = np.concatenate([[lead0.active], lead.active])
    ruler = np.concatenate([[lead0.ruler], lead.ruler])
    intensity = np.concatenate([[initial.security.intensity], states.security.intensity])
    purged = np.concatenate([[initial.china.purged], states.china.purged])
    members = np.concatenate([[initial.china.members], states.china.members])
    famine = np.concatenate([[initial.ledger.famine_deaths[0]], states.ledger.famine_deaths[:, 0]])
    years = list(cal.year_labels)
    out: list[tuple[str, str]] = []
    for t in range(model.n_months):
        lab = cal.label(t)
        for f in np.flatnonzero(active[t] & ~active[t + 1]):
            out.append((lab, f"{SK.FACTIONS[f]}'s faction is expelled from the leadership"))
        if ruler[t + 1] >= 0 > ruler[t]:
            out.append((lab, f"{SK.FACTIONS[ruler[t + 1]]} establishes personal rule"))
        if lab == SK.LEADER_MONTH and ruler[t + 1] < 0:
            shares = ", ".join(
                f"{SK.FACTIONS[f]} {100 * lead.power[t][f]:.0f}%"
                for f in np.argsort(-lead.power[t])
                if lead.active[t][f]
            )
            out.append((lab, f"collective leadership at the end of 1929 (power: {shares})"))
        if cal.months[t] == 8 and cal.years[t] >= 1928:
            y = years.index(int(cal.years[t]))
            led = states.ledger
            out.append(
                (
                    lab,
                    f"USSR harvest {led.harvest[t][y]:.1f} Mt; procured "
                    f"{led.procurement[t][y]:.1f} Mt, exported {led.exports[t][y]:.1f} Mt; "
                    f"kolkhozes {100 * states.blocs.collectivised[t].mean():.0f}% of households",
                )
            )
        if cal.months[t] == 12 and famine[t + 1] - famine[t - 11 if t >= 11 else 0] > 0.01:
            lost = famine[t + 1] - famine[max(t - 11, 0)]
            out.append((lab, f"{cal.years[t]}: famine deaths {lost:.2f} M in the peasant blocs"))
        if intensity[t + 1] > 0 and intensity[t] == 0:
            out.append((lab, f"the terror begins (intensity {intensity[t + 1]:.2f} of 1937-38's)"))
        if purged[t + 1] and not purged[t]:
            out.append(
                (
                    lab,
                    f"the KMT breaks with the communists: CCP {members[t]:,.0f} -> "
                    f"{members[t + 1]:,.0f} members",
                )
            )
        if lab == SK.QUALITY_MONTH:
            sec = states.security
            out.append(
                (
                    lab,
                    f"Red Army {sec.army[t]:,.0f} thousand, command quality "
                    f"{sec.quality[t]:.2f}; terror executions 1936-39 {sec.executions[t]:,.0f}, "
                    f"officers discharged {sec.officers_purged[t]:,.0f}",
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
