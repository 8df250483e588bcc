"""Priors over model parameters, encoded as arrays so that sweep points vmap.

A prior is one of the kinds in :data:`PRIOR_KINDS`. Every parameter's prior is stored as
one row ``(kind, a, b, c, low, high)`` of a :class:`PriorTable`; a pinned parameter is
the kind ``fixed``. Sampling draws one uniform and one standard normal per parameter and
a beta variate per column that may be of kind beta (all columns, or those a runner
names: :func:`beta_columns_of`), and selects by kind, so tables that differ only in
numbers (not shapes) share one compiled program.

Kinds and their numbers:

* ``fixed``: value ``a``.
* ``uniform``: on ``[a, b]``.
* ``normal``: mean ``a``, standard deviation ``b``, clipped to ``[low, high]``.
* ``lognormal``: ``exp(N(a, b))``, clipped to ``[low, high]``.
* ``beta``: ``Beta(a, b)`` rescaled to ``[low, high]``.
* ``triangular``: minimum ``a``, mode ``b``, maximum ``c``.
* ``posterior``: column ``a`` of the run's posterior draw (:mod:`abm.posterior`): the
  runner picks one row of a calibrated sample of parameter vectors per run and every
  parameter of this kind takes its value from that row, so the sample's correlations
  are kept.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax._src.random.core import _gamma_one  # the element sampler of jax.random.gamma
from jax.scipy.special import ndtri

PRIOR_KINDS: dict[str, int] = {
    "fixed": 0,
    "uniform": 1,
    "normal": 2,
    "lognormal": 3,
    "beta": 4,
    "triangular": 5,
    "posterior": 6,
}

#: The largest magnitude of a prior's number: tables store them as float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: The numbers each kind takes, in order (``a``, ``b``, ``c``).
PRIOR_ARGS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mu", "sigma"),
    "beta": ("a", "b"),
    "triangular": ("low", "mode", "high"),
    "posterior": ("column",),
}


@dataclass(frozen=True)
class Prior:
    """A prior distribution of one scalar parameter.

    Attributes:
        kind: one of :data:`PRIOR_KINDS`.
        args: the kind's numbers, named as in :data:`PRIOR_ARGS`.
    """

    kind: str
    args: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in PRIOR_KINDS:
            raise ValueError(f"unknown prior kind {self.kind!r}; allowed: {sorted(PRIOR_KINDS)}")
        want = set(PRIOR_ARGS[self.kind])
        if set(self.args) != want:
            raise ValueError(f"prior {self.kind!r} takes {sorted(want)}, got {sorted(self.args)}")
        for name, value in self.args.items():
            if not math.isfinite(float(value)):
                raise ValueError(f"prior {self.kind!r}: {name}={value!r} is not finite")
            if abs(float(value)) > FLOAT32_MAX:  # a table stores it as float32: inf
                raise ValueError(
                    f"prior {self.kind!r}: {name}={value!r} is not finite in float32; "
                    f"allowed: magnitude at most {FLOAT32_MAX:.6g}"
                )
        a = self.args
        if self.kind == "uniform" and not a["low"] <= a["high"]:
            raise ValueError(f"uniform prior needs low <= high, got {dict(a)}")
        if self.kind == "normal" and a["sd"] < 0:
            raise ValueError(f"normal prior needs sd >= 0, got {a['sd']}")
        if self.kind == "lognormal" and a["sigma"] < 0:
            raise ValueError(f"lognormal prior needs sigma >= 0, got {a['sigma']}")
        if self.kind == "beta" and (a["a"] <= 0 or a["b"] <= 0):
            raise ValueError(f"beta prior needs a > 0 and b > 0, got {dict(a)}")
        if self.kind == "triangular" and not a["low"] <= a["mode"] <= a["high"]:
            raise ValueError(f"triangular prior needs low <= mode <= high, got {dict(a)}")
        if self.kind == "posterior" and not (
            a["column"] >= 0 and float(a["column"]).is_integer() and a["column"] < 2**24
        ):
            raise ValueError(f"posterior prior needs an integer column >= 0, got {dict(a)}")

    @classmethod
    def fixed(cls, value: float) -> Prior:
        """A pinned value."""
        return cls("fixed", {"value": float(value)})

    def support(self, low: float, high: float) -> tuple[float, float]:
        """The interval the prior can produce, before clipping to ``[low, high]``."""
        a = self.args
        if self.kind == "fixed":
            return a["value"], a["value"]
        if self.kind == "uniform":
            return a["low"], a["high"]
        if self.kind == "triangular":
            return a["low"], a["high"]
        return low, high

    def numbers(self) -> tuple[float, float, float]:
        """``(a, b, c)`` as stored in a table row."""
        vals = [float(self.args[n]) for n in PRIOR_ARGS[self.kind]]
        vals += [0.0] * (3 - len(vals))
        return vals[0], vals[1], vals[2]

    def median_guess(self, low: float, high: float) -> float:
        """A central value (median where cheap, else mean), clipped to the range."""
        a = self.args
        if self.kind == "fixed":
            v = a["value"]
        elif self.kind == "uniform":
            v = 0.5 * (a["low"] + a["high"])
        elif self.kind == "normal":
            v = a["mean"]
        elif self.kind == "lognormal":
            v = math.exp(a["mu"])
        elif self.kind == "beta":
            v = low + (high - low) * a["a"] / (a["a"] + a["b"])
        elif self.kind == "posterior":
            v = 0.5 * (low + high)  # the sample's values are not in the table
        else:
            v = a["mode"]
        return min(max(v, low), high)

    def to_dict(self) -> dict[str, Any]:
        """Plain form, as written in configs."""
        return {"kind": self.kind, **{k: float(v) for k, v in self.args.items()}}


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class PriorTable:
    """Priors of every parameter of a model, one row each; may carry a leading point axis.

    Attributes:
        kind: int32 ``[..., n_params]``, codes of :data:`PRIOR_KINDS`.
        a: float32 ``[..., n_params]``, first number of each prior.
        b: float32 ``[..., n_params]``, second number.
        c: float32 ``[..., n_params]``, third number.
        low: float32 ``[..., n_params]``, lower end of the allowed range.
        high: float32 ``[..., n_params]``, upper end of the allowed range.
    """

    kind: jax.Array | np.ndarray
    a: jax.Array | np.ndarray
    b: jax.Array | np.ndarray
    c: jax.Array | np.ndarray
    low: jax.Array | np.ndarray
    high: jax.Array | np.ndarray

    @classmethod
    def build(cls, priors: Sequence[Prior], ranges: Sequence[tuple[float, float]]) -> PriorTable:
        """Table of one point from per-parameter priors and ranges."""
        nums = np.array([p.numbers() for p in priors], dtype=np.float32).reshape(-1, 3)
        rng = np.array(ranges, dtype=np.float32).reshape(-1, 2)
        return cls(
            kind=np.array([PRIOR_KINDS[p.kind] for p in priors], dtype=np.int32),
            a=nums[:, 0],
            b=nums[:, 1],
            c=nums[:, 2],
            low=rng[:, 0],
            high=rng[:, 1],
        )

    @classmethod
    def stack(cls, tables: Sequence[PriorTable]) -> PriorTable:
        """Stack single-point tables along a new leading point axis."""
        return jax.tree.map(lambda *xs: np.stack(xs), *tables)

    @property
    def n_params(self) -> int:
        """Number of parameters (the last axis)."""
        return int(np.shape(self.kind)[-1])


#: Columns of a table that may be of kind ``beta`` (a sorted tuple), or None for all.
BetaColumns = tuple[int, ...] | None


def beta_columns_of(kind: Any) -> tuple[int, ...]:
    """The columns of kind ``beta`` in any row of a table's ``kind`` array (host side).

    Args:
        kind: int ``[..., n_params]``, a :class:`PriorTable`'s kinds (NumPy or concrete).

    Returns:
        The sorted column indices, a static argument of :func:`sample`.
    """
    k = np.asarray(kind).reshape(-1, np.shape(kind)[-1])
    return tuple(int(c) for c in np.flatnonzero((k == PRIOR_KINDS["beta"]).any(axis=0)))


@functools.partial(jax.jit, static_argnums=3)
def _beta_at(
    key: jax.Array, alpha: jax.Array, beta_: jax.Array, columns: tuple[int, ...]
) -> jax.Array:
    """Beta variates of ``key`` at ``columns``, NaN elsewhere (float32 ``[n]``).

    As ``jax.random.beta(key, alpha, beta_)`` draws them: two log-gamma variates per
    element, each with its own key split from the whole array's (``split(key, n)[i]``),
    through JAX's element sampler (``_gamma_one``, what ``jax.random.gamma`` vmaps on
    the CPU and the GPU). An element's value depends only on its key and its numbers,
    not on which other columns are drawn nor on the batch (``tests/test_engine.py``),
    so a program that draws two columns gives the values of one that draws them all.
    Jitted (inlined in a jitted caller), so that an eager call compiles one program
    rather than dispatching the rejection loop's operations one by one.
    (It is not bit-identical to ``jax.random.beta`` itself: the compiler fuses the
    element sampler differently there, and about a third of the values differ in their
    last bit.)
    """
    n = alpha.shape[-1]
    out = jnp.full((n,), jnp.nan, jnp.float32)
    if not columns:
        return out
    cols = np.asarray(columns, np.int32)
    key_a, key_b = jax.random.split(key)
    one = jax.vmap(functools.partial(_gamma_one, log_space=True))
    log_a = one(jax.random.split(key_a, n)[cols], alpha[cols].astype(jnp.float32))
    log_b = one(jax.random.split(key_b, n)[cols], beta_[cols].astype(jnp.float32))
    log_max = jax.lax.max(log_a, log_b)
    ga, gb = jnp.exp(log_a - log_max), jnp.exp(log_b - log_max)
    return out.at[cols].set(ga / (ga + gb))


def sample(
    key: jax.Array,
    table: PriorTable,
    draw: jax.Array | None = None,
    beta_columns: BetaColumns = None,
) -> jax.Array:
    """Draw every parameter once from a single-point table.

    Args:
        key: typed PRNG key.
        table: a :class:`PriorTable` without a point axis.
        draw: float32 ``[n_columns]``, the run's row of a posterior sample, read by the
            parameters of kind ``posterior``; None when the table has none (the program
            is then exactly the one without posteriors).
        beta_columns: the columns that may be of kind ``beta`` (static; see
            :func:`beta_columns_of`), or None for every column. Each column's value is
            the same either way (bit for bit); naming the columns only skips the beta
            variates of the others, whose rejection loops were most of a draw's time
            on a CPU (0.5 s of a 2.8 s chunk of 1,024 runs, 2 of 286 columns beta).

    Returns:
        float32 ``[n_params]``, each value inside its ``[low, high]``.
    """
    k_u, k_b = jax.random.split(key)
    n = table.kind.shape[-1]
    # Open interval so that ndtri never sees 0 or 1.
    u = jax.random.uniform(k_u, (n,), jnp.float32, minval=1e-7, maxval=1.0 - 1e-7)
    z = ndtri(u)
    alpha = jnp.where(table.kind == PRIOR_KINDS["beta"], table.a, 1.0)
    beta_ = jnp.where(table.kind == PRIOR_KINDS["beta"], table.b, 1.0)
    columns = tuple(range(n)) if beta_columns is None else beta_columns
    bv = _beta_at(k_b, alpha, beta_, columns)
    lo_t, mode_t, hi_t = table.a, table.b, table.c
    width = jnp.maximum(hi_t - lo_t, 1e-12)
    f_mode = (mode_t - lo_t) / width
    tri = jnp.where(
        u < f_mode,
        lo_t + jnp.sqrt(u * width * (mode_t - lo_t)),
        hi_t - jnp.sqrt((1.0 - u) * width * (hi_t - mode_t)),
    )
    conds = [
        table.kind == PRIOR_KINDS["fixed"],
        table.kind == PRIOR_KINDS["uniform"],
        table.kind == PRIOR_KINDS["normal"],
        table.kind == PRIOR_KINDS["lognormal"],
        table.kind == PRIOR_KINDS["beta"],
    ]
    values = [
        table.a,
        table.a + u * (table.b - table.a),
        table.a + table.b * z,
        jnp.exp(table.a + table.b * z),
        table.low + bv * (table.high - table.low),
    ]
    if draw is not None:
        column = jnp.clip(table.a.astype(jnp.int32), 0, draw.shape[-1] - 1)
        conds.append(table.kind == PRIOR_KINDS["posterior"])
        values.append(draw[column])
    value = jnp.select(conds, values, tri)
    return jnp.clip(value, table.low, table.high).astype(jnp.float32)
