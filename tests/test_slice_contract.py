"""The slice contract, written once and run on every slice of every registered model.

Every slice (:mod:`abm.engine.slices`) must keep the dtype and shape it declares for
every state field, give the same cubes whatever the chunk size and however a sweep's
points are batched, draw from its own random stream, give the same results in any slice
order, be refused by the composition when wired wrongly, and have a slow reference of
its month compared with its JAX month on the same draws.

Compiles cost about a minute each on a small CPU, so the tests share a few programs:
one jitted month per slice order and three runner programs, all on the model with
every slice (``interwar_example``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tallies_equal

from abm.engine import keys
from abm.engine.compose import CompositionError, Wire, compose
from abm.engine.priors import Prior, PriorTable, sample
from abm.engine.runner import Runner
from abm.engine.slices import leaf_values, state_leaves
from abm.models import registry

#: The model holding every slice; its programs are the ones compiled here.
MODEL = "interwar_example"
SEED = 5
#: Runs stepped month by month for the state checks.
N_STEPPED = 4
#: Runs per sweep point for the runner checks (4 points: 96 runs).
N_RUNS = 24


def _all_slices() -> list[str]:
    names: list[str] = []
    for model in registry.MODELS:
        names += [d.name for d in registry.slice_defs(model) if d.name not in names]
    return names


SLICES = _all_slices()


def test_the_model_under_test_holds_every_slice():
    held = {d.name for d in registry.slice_defs(MODEL)}
    assert held == set(SLICES), f"add {sorted(set(SLICES) - held)} to {MODEL} (tested there)"
    assert {"germany", "soviet", "example"} <= set(SLICES)


def _table(model: Any, bump: float = 0.0) -> PriorTable:
    """One point: the catalogue's priors (``bump`` shifts the example's hazards)."""
    priors = []
    for p in model.params:
        prior = p.prior
        if bump and p.name == "emigre_hazard_nazi":
            prior = Prior.fixed(min(p.high, p.low + bump))
        priors.append(prior)
    return PriorTable.build(priors, [(p.low, p.high) for p in model.params])


@pytest.fixture(scope="module")
def model():
    return registry.build_model(MODEL)


def _trajectory(model: Any) -> tuple[list[dict[str, dict[str, tuple[str, tuple[int, ...]]]]], Any]:
    """Step ``N_STEPPED`` runs through the whole calendar with the jitted month.

    Returns:
        ``(meta, final)``: for the initial state and after each month, slice -> leaf
        path -> ``(dtype, shape)``; and the final :class:`SliceStates` (NumPy).
    """
    table = _table(model)
    runs = jnp.arange(N_STEPPED, dtype=jnp.int32)
    run_keys = jax.vmap(keys.run_key, in_axes=(None, 0, 0))(SEED, 0 * runs, runs)
    thetas = jax.vmap(lambda k: sample(keys.stream(k, keys.STREAM_PRIORS), table))(run_keys)
    init = jax.jit(jax.vmap(lambda k, th: model.init(keys.stream(k, keys.STREAM_INIT), th)))
    step = jax.jit(model.step_batch)
    steps = jax.vmap(lambda k: keys.stream(k, keys.STREAM_STEPS))(run_keys)
    state = init(run_keys, thetas)

    def meta(s: Any) -> dict[str, dict[str, tuple[str, tuple[int, ...]]]]:
        return {
            name: {p: (str(v.dtype), tuple(v.shape)) for p, v in leaf_values(s[name]).items()}
            for name in s
        }

    out = [meta(state)]
    for month in range(model.n_months):
        month_keys = jax.vmap(keys.month_key, in_axes=(0, None))(steps, month)
        state = step(month_keys, state, thetas)
        out.append(meta(state))
    return out, jax.device_get(state)


@pytest.fixture(scope="module")
def stepped(model):
    return _trajectory(model)


# ---------------------------------------------------------------- dtype and shape
@pytest.mark.parametrize("name", SLICES)
def test_every_declared_dim_has_a_size(model, name):
    sl = model.slices[name]
    dims = {d for spec in state_leaves(sl.state_type) for d in spec.dims}
    assert dims <= set(sl.dim_sizes), f"{name}: no size for {sorted(dims - set(sl.dim_sizes))}"
    for dim, labels in sl.dim_coords.items():
        assert len(labels) == sl.dim_sizes[dim], f"{name}.{dim}: coords and size differ"


def test_a_dimension_two_slices_share_has_one_size_and_one_set_of_labels(model):
    """Replay (``abm trace``) and cubes put every slice's arrays in one dataset, so a
    dimension name means one axis everywhere: two slices with ``side`` of 2 and 4 labels
    could not be traced together. Name a slice's own axes after it (``frontier_side``)."""
    seen: dict[str, tuple[str, int, tuple[Any, ...]]] = {}
    clashes = []
    for name, sl in model.slices.items():
        for dim, size in sl.dim_sizes.items():
            labels = tuple(sl.dim_coords.get(dim, ()))
            if dim in seen and seen[dim][1:] != (size, labels):
                clashes.append(f"{dim!r}: {seen[dim][0]} {seen[dim][1:]} vs {name} {size, labels}")
            seen.setdefault(dim, (name, size, labels))
    assert clashes == []


@pytest.mark.parametrize("name", SLICES)
def test_every_state_field_keeps_its_dtype_and_shape(model, stepped, name):
    sl = model.slices[name]
    want = {
        s.path: (s.dtype, (N_STEPPED, *[sl.dim_sizes[d] for d in s.dims]))
        for s in state_leaves(sl.state_type)
    }
    meta, _ = stepped
    assert len(meta) == model.n_months + 1
    for month, got in enumerate(meta):
        assert got[name] == want, f"{name}, after {month} months: {_diff(got[name], want)}"


def _diff(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    keys_ = set(got) | set(want)
    return {k: (got.get(k), want.get(k)) for k in sorted(keys_) if got.get(k) != want.get(k)}


# ---------------------------------------------------------------- slice order
def test_order_of_slices_does_not_change_any_slice_state(model, stepped):
    e = registry.entry(MODEL)
    defs = tuple(reversed(registry.slice_defs(MODEL)))
    other = compose(MODEL, defs, tuple(reversed(e.wiring)), registry.default_calendar(MODEL))
    assert list(other.slices) != list(model.slices)
    # The parameter order follows the slice order: give each model the same values.
    assert sorted(other.param_names) == sorted(model.param_names)
    _, final = stepped
    _, final_other = _trajectory_in_order(other, model)
    for name in SLICES:
        a, b = leaf_values(final[name]), leaf_values(final_other[name])
        differ = [p for p in a if not np.array_equal(a[p], b[p])]
        assert differ == [], f"{name}: {differ} differ when the slices are reordered"


def _trajectory_in_order(other: Any, model: Any) -> tuple[Any, Any]:
    """:func:`_trajectory` of ``other`` with the parameters drawn as ``model`` draws them."""
    perm = np.array([model.param_names.index(n) for n in other.param_names])

    class Permuted:
        """``other`` reading ``theta`` in ``model``'s order."""

        n_months = other.n_months
        params = model.params

        def init(self, key: jax.Array, theta: jax.Array) -> Any:
            return other.init(key, theta[perm])

        def step_batch(self, keys_: jax.Array, states: Any, thetas: jax.Array) -> Any:
            return other.step_batch(keys_, states, thetas[:, perm])

    return _trajectory(Permuted())


# ---------------------------------------------------------------- chunks and batches
def _slice_tallies(model: Any, tallies: dict[str, np.ndarray], name: str) -> dict[str, Any]:
    mine = {s.name for s in model.outcome_specs if model.outcome_owner[s.name] == name}
    return {k: v for k, v in tallies.items() if k.split("/")[0] in mine}


@pytest.fixture(scope="module")
def sweep(model):
    """A 4-point table (the example's Nazi-era hazard differs) and its tallies at chunk 16."""
    tables = PriorTable.stack([_table(model, bump) for bump in (0.001, 0.01, 0.02, 0.04)])
    return tables, Runner(model, chunk_size=16).run(SEED, tables, N_RUNS).tallies


def test_chunk_sizes_give_identical_tallies(model, sweep):
    tables, at16 = sweep
    runner = Runner(model, chunk_size=1000)
    assert runner.chunk_size == 1008  # one chunk of 4 points, against 6 chunks of 16
    assert tallies_equal(at16, runner.run(SEED, tables, N_RUNS).tallies) == []
    assert int(at16["n_runs"].sum()) == 4 * N_RUNS


def test_points_batched_apart_give_the_tallies_of_one_table(model, sweep):
    tables, whole = sweep
    runner = Runner(model, chunk_size=16)
    parts = [
        runner.run(SEED, jax.tree.map(lambda x, i=i: x[i : i + 2], tables), N_RUNS, point_offset=i)
        for i in (0, 2)
    ]
    joined = {k: np.concatenate([p.tallies[k] for p in parts]) for k in whole}
    assert tallies_equal(whole, joined) == []
    # The points really differ (so a mix-up of points would show).
    ex = _slice_tallies(model, whole, "example")
    assert not np.array_equal(ex["emigres/sum_lo"][0], ex["emigres/sum_lo"][3])


# ---------------------------------------------------------------- random streams
def test_a_slice_stream_changes_only_that_slice(model, sweep, monkeypatch):
    tables, base = sweep
    number = keys.slice_streams("example")[0] ^ 0x155
    monkeypatch.setitem(keys.PINNED_SLICE_STREAMS, "example", (number, number))
    other = registry.build_model(MODEL)
    tallies = Runner(other, chunk_size=16).run(SEED, tables, N_RUNS).tallies
    for name in (n for n in SLICES if n != "example"):
        mine, theirs = _slice_tallies(model, base, name), _slice_tallies(model, tallies, name)
        assert mine and tallies_equal(mine, theirs) == [], f"{name} changed"
    ex_base, ex = _slice_tallies(model, base, "example"), _slice_tallies(model, tallies, "example")
    assert tallies_equal(ex_base, ex) != [], "the example's draws did not change"


def test_streams_derive_from_names_and_keep_the_pinned_ones():
    assert keys.slice_streams("germany") == (0, None)
    assert keys.slice_streams("soviet") == (1, 2)
    init, month = keys.slice_streams("example")
    assert init == month and init not in keys.RESERVED_SLICE_STREAMS
    assert keys.slice_streams("example2") != keys.slice_streams("example")


# ---------------------------------------------------------------- refused compositions
def _compose(defs: Any, wiring: Any) -> Any:
    return compose("bad", defs, wiring, registry.default_calendar(MODEL))


@pytest.fixture(scope="module")
def defs():
    return {d.name: d for d in registry.slice_defs(MODEL)}


@pytest.mark.parametrize(
    ("wire", "words"),
    [
        (Wire("example", "germany", "france"), ["'france'", "source"]),
        (Wire("france", "germany", "germany"), ["'france'", "reader"]),
        (Wire("example", "comintern", "germany"), ["'example'", "no port 'comintern'"]),
        (Wire("example", "germany", "soviet"), ["example.germany", "GermanySignals", "Influence"]),
        (Wire("example", "germany", "example"), ["'example'", "its own signals"]),
    ],
)
def test_composition_refuses_bad_wires(defs, wire, words):
    with pytest.raises(CompositionError) as err:
        _compose(list(defs.values()), [*registry.entry(MODEL).wiring[:2], wire])
    for w in words:
        assert w in str(err.value)


def test_composition_refuses_a_port_wired_twice(defs):
    wiring = [*registry.entry(MODEL).wiring, Wire("example", "germany", "germany")]
    with pytest.raises(CompositionError, match=r"port example\.germany is wired twice"):
        _compose(list(defs.values()), wiring)


def test_composition_refuses_a_slice_given_twice(defs):
    with pytest.raises(CompositionError, match="example given twice"):
        _compose([defs["example"], defs["example"]], [])


def test_composition_refuses_a_parameter_two_slices_define(defs):
    twin = dataclasses.replace(defs["example"], name="example2")
    with pytest.raises(CompositionError) as err:
        _compose([defs["example"], twin], [])
    msg = str(err.value)
    assert "'emigre_nazi_year'" in msg and "'example'" in msg and "'example2'" in msg


def test_composition_refuses_two_slices_on_one_stream(defs, monkeypatch):
    twin = dataclasses.replace(defs["example"], name="example2", catalogue=lambda: ())
    monkeypatch.setitem(keys.PINNED_SLICE_STREAMS, "example2", keys.slice_streams("example"))
    with pytest.raises(CompositionError) as err:
        _compose([defs["example"], twin], [])
    msg = str(err.value)
    number = keys.slice_streams("example")[0]
    assert "'example'" in msg and "'example2'" in msg and str(number) in msg
    with pytest.raises(CompositionError, match="'germany' and 'example2' share random stream 0"):
        monkeypatch.setitem(keys.PINNED_SLICE_STREAMS, "example2", (0, None))
        _compose([defs["germany"], twin], [])


def test_unwired_ports_keep_their_superseded_parameters(defs):
    alone = _compose([defs["example"]], [])
    assert "emigre_nazi_year" in alone.param_names
    assert "emigre_nazi_year" not in [p.name for p in registry.catalogue(MODEL)]


# ---------------------------------------------------------------- reference months
#: Where each slice's slow reference of one month is compared with its JAX month.
REFERENCES = {
    "germany": "tests/test_reference.py (tests/reference/germany_numpy.py)",
    "example": "tests/test_example_slice.py::test_month_matches_the_numpy_reference",
    "soviet": "tests/test_reference_soviet.py (tests/reference/soviet_numpy.py)",
    "diplomacy": "tests/test_diplomacy.py (tests/reference/diplomacy_numpy.py)",
    "frontiers": "tests/test_frontiers.py (tests/reference/frontiers_numpy.py)",
    "spain": "tests/test_spain.py (tests/reference/spain_numpy.py)",
    "china": "tests/test_china.py (tests/reference/china_numpy.py)",
    "war": "tests/test_war_reference.py (tests/reference/war_numpy.py)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            n,
            marks=pytest.mark.xfail(strict=True, reason="no reference month yet"),
        )
        if n not in REFERENCES
        else n
        for n in SLICES
    ],
)
def test_every_slice_has_a_reference_month(name):
    from conftest import ROOT

    assert name in REFERENCES, f"slice {name!r} has no reference month"
    path = REFERENCES[name].split(" ")[0].split("::")[0]
    assert (ROOT / path).is_file()
