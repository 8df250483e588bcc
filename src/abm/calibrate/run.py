"""``abm calibrate``: the whole-model calibration, its posterior and its scores.

1. Read the calibration config and its base scenario (on its priors alone).
2. The parameter space: every parameter whose prior in the base scenario is not pinned,
   with the catalogue file's own prior (never a prior already fitted to the same data).
3. Tempered SMC (:mod:`abm.calibrate.smc`) on simulations of the full model against
   every target not held out, checkpointed in the store after each step (resumable).
4. The posterior (:mod:`abm.posterior`): the final particles as parameter vectors, with
   the targets seen and held out and the run's provenance, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from abm import provenance
from abm.calibrate import smc
from abm.calibrate.config import CalibrationConfig, load_config
from abm.calibrate.likelihood import Fit, evaluate, pilot, pooled_chance_variance
from abm.calibrate.space import Space
from abm.calibrate.store import CalibrationStore
from abm.calibrate.targets import Target, fitted, model_targets
from abm.config.scenario import Scenario, load_scenario
from abm.engine.priors import Prior
from abm.errors import InputError
from abm.locks import StoreLock
from abm.models import registry
from abm.posterior import Posterior, save_posterior

log = logging.getLogger(__name__)


#: The sampler's name and version (part of a calibration's identity: a store written by
#: another sampler is another calibration).
SAMPLER = "tempered SMC, block pseudo-marginal (abm.calibrate.smc), v2"


@dataclass(frozen=True)
class Problem:
    """Everything the calibration's simulations need.

    Attributes:
        config: the calibration config.
        scenario: the base scenario (priors alone).
        space: the calibrated parameters.
        columns: their columns in the model's parameter table.
        targets: every target (both splits).
        seen: the targets the calibration uses (never a held-out one).
    """

    config: CalibrationConfig
    scenario: Scenario
    space: Space
    columns: tuple[int, ...]
    targets: tuple[Target, ...]
    seen: tuple[Target, ...]

    def identity(self) -> str:
        """Canonical text of what decides the calibration's result (store identity)."""
        data = {
            "sampler": SAMPLER,
            "config": Path(self.config.path).read_text(encoding="utf-8"),
            "scenario": self.scenario.resolved_text(),
            "targets": [[t.id, t.public.historical, t.sd, t.public.kind] for t in self.seen],
            "space": [
                [n, p.to_dict()] for n, p in zip(self.space.names, self.space.priors, strict=True)
            ],
        }
        return json.dumps(data, sort_keys=True)


def calibration_prior(scenario: Scenario, name: str) -> Prior:
    """The prior the calibration starts from for parameter ``name``.

    The catalogue file's own prior where the scenario keeps the catalogue's (a prior
    fitted before to the same data must not count twice); the scenario's otherwise.
    """
    pdef = {p.name: p for p in registry.catalogue(scenario.model_name)}[name]
    if scenario.priors[name] == pdef.prior:
        return pdef.uncalibrated_prior
    return scenario.priors[name]


def problem(config_path: str | Path) -> Problem:
    """The calibration problem of a config file."""
    cfg = load_config(config_path)
    sc = load_scenario(cfg.scenario, posterior="none")
    if sc.model_name != cfg.name:
        raise InputError(
            f"{cfg.path}: calibration: {cfg.name!r} but the scenario runs model "
            f"{sc.model_name!r}; allowed: the scenario's model"
        )
    cat = registry.catalogue(sc.model_name)
    names, priors, ranges, cols = [], [], [], []
    for j, p in enumerate(cat):
        if p.kind == "lever" or sc.priors[p.name].kind == "fixed":
            continue
        prior = calibration_prior(sc, p.name)
        if prior.kind == "fixed":
            continue
        names.append(p.name)
        priors.append(prior)
        ranges.append((p.low, p.high))
        cols.append(j)
    targets = tuple(model_targets(sc.model_name, cfg))
    seen = tuple(fitted(list(targets)))
    return Problem(cfg, sc, Space.build(names, priors, ranges), tuple(cols), targets, seen)


#: Simulates parameter vectors: ``(theta [N, d], points [N, R], seed) -> [N, R, T]``, run
#: ``(i, r)`` on the random numbers of simulation ``points[i, r]``
#: (:class:`abm.calibrate.simulator.TargetSimulator` here, or Prefect tasks on a cluster).
Simulate = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


#: The simulators built in this process (the last few), by identity and chunk size.
_SIMULATORS: dict[tuple[str, int], Simulate] = {}


def local_simulator(prob: Problem, chunk_size: int | None = None) -> Simulate:
    """The problem's :class:`~abm.calibrate.simulator.TargetSimulator`, in this process.

    Built once per calibration identity and chunk size in a process (its compiled
    programs are reused by a resumed run, a flow's tasks on this machine, and tests).
    """
    from abm.calibrate.simulator import TargetSimulator

    size = chunk_size or prob.config.smc.chunk_size
    key = (hashlib.sha256(prob.identity().encode("utf-8")).hexdigest(), size)
    if key not in _SIMULATORS:
        if len(_SIMULATORS) >= 2:
            _SIMULATORS.pop(next(iter(_SIMULATORS)))
        _SIMULATORS[key] = TargetSimulator(
            prob.scenario.model(), prob.scenario.prior_table(), prob.columns, prob.seen, size
        )
    return _SIMULATORS[key]


def make_loglik(prob: Problem, simulate: Simulate | None = None) -> smc.LogLik:
    """The SMC's likelihood: simulate ``z``'s parameter vectors, score the seen targets.

    Args:
        prob: the problem.
        simulate: where the runs happen (default: :func:`local_simulator`). Results do
            not depend on it: every run's key is ``(seed, points[i, r])``.
    """
    s = prob.config.smc
    sim = simulate if simulate is not None else local_simulator(prob)
    y = np.array([t.public.historical for t in prob.seen])
    sd = np.array([t.sd for t in prob.seen])
    event = np.array([t.public.kind == "event_date" for t in prob.seen])
    logged = np.array(
        [
            t.public.group in prob.config.log_scale
            and t.public.kind != "event_date"
            and t.public.historical > 0
            for t in prob.seen
        ]
    )
    y_fit = np.where(logged, np.log(np.where(logged, y, 1.0)), y)
    sd_fit = np.where(logged, sd / np.where(logged, np.abs(y), 1.0), sd)
    floor = 1e-6 * np.abs(y)

    def scaled(z: np.ndarray, points: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        sims = sim(prob.space.to_theta(z), points, s.seed)
        log.debug("%d runs in %.1f s", sims.shape[0] * sims.shape[1], time.perf_counter() - t0)
        with np.errstate(invalid="ignore"):
            return np.where(logged, np.log(np.maximum(sims, floor)), sims)

    chance: np.ndarray | None = None
    if prob.config.likelihood == "pooled":
        z0, points0 = pilot(prob.space.d, s.replicates, s.seed)
        chance = pooled_chance_variance(scaled(z0, points0))
        log.info(
            "pooled chance variance from a pilot of %d prior draws x %d replicates",
            len(z0),
            s.replicates,
        )

    def loglik(z: np.ndarray, points: np.ndarray) -> Fit:
        return evaluate(scaled(z, points), y_fit, sd_fit, event, chance)

    return loglik


#: How the provenance names each likelihood.
LIKELIHOOD_NAMES = {
    "synthetic": "Gaussian synthetic likelihood",
    "pooled": "Gaussian synthetic likelihood with a pooled chance variance",
}


class ScenarioJump:
    """Independence proposals from the base scenario's own priors (the skeleton fit's).

    For the calibrated parameters whose base-scenario prior is a normal prior other
    than the catalogue file's, a move proposes the whole block from those normals
    (truncated to the file prior's support) and keeps the rest; the Metropolis ratio
    (:class:`abm.calibrate.smc.Jump`) keeps every tempered target, and so the posterior,
    unchanged. It lets particles reach a region the random walks do not find from the
    wide priors in 139 dimensions; the skeleton fit only proposes, never weighs.
    """

    def __init__(self, prob: Problem) -> None:
        from scipy import special

        names, file_priors = prob.space.names, prob.space.priors
        low, high = prob.space.low, prob.space.high
        cols, means, sds, lo, hi = [], [], [], [], []
        for j, n in enumerate(names):
            own = prob.scenario.priors[n]
            if own == file_priors[j] or own.kind != "normal" or own.args["sd"] <= 0:
                continue
            a, b = file_priors[j].support(float(low[j]), float(high[j]))
            cols.append(j)
            means.append(own.args["mean"])
            sds.append(own.args["sd"])
            lo.append(max(a, low[j]))
            hi.append(min(b, high[j]))
        self.cols = np.array(cols, np.int64)
        self.m, self.sd = np.array(means), np.array(sds)
        self.u_lo = special.ndtr((np.array(lo) - self.m) / self.sd)
        self.u_hi = special.ndtr((np.array(hi) - self.m) / self.sd)
        self.log_z = np.log(np.maximum(self.u_hi - self.u_lo, 1e-300))
        self.block = Space.build(
            [names[j] for j in cols],
            [file_priors[j] for j in cols],
            [(low[j], high[j]) for j in cols],
        )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``[n, k]`` normal scores of a block drawn from the truncated normals."""
        from scipy import special

        u = self.u_lo + rng.uniform(size=(n, len(self.cols))) * (self.u_hi - self.u_lo)
        theta = self.m + self.sd * special.ndtri(np.clip(u, 1e-16, 1 - 1e-16))
        return self.block.to_z(theta)

    def _log_prior_over_q(self, z: np.ndarray) -> np.ndarray:
        from scipy import stats

        from abm.calibrate.space import log_pdf

        theta = self.block.to_theta(z)
        log_s = (stats.norm.logpdf(theta, self.m, self.sd) - self.log_z).sum(axis=1)
        log_p = sum(
            log_pdf(p, theta[:, k], self.block.low[k], self.block.high[k])
            for k, p in enumerate(self.block.priors)
        )
        return np.asarray(log_p - log_s)

    def log_ratio(self, z_now: np.ndarray, z_new: np.ndarray) -> np.ndarray:
        """``log prior(new) q(now) / (prior(now) q(new))``, in parameter space."""
        with np.errstate(invalid="ignore"):
            out = self._log_prior_over_q(z_new) - self._log_prior_over_q(z_now)
        return np.where(np.isfinite(out), out, -np.inf)


@dataclass(frozen=True)
class Result:
    """What a calibration produced.

    Attributes:
        posterior: the posterior written.
        path: where.
        state: the final SMC state.
        seconds: wall time of this invocation.
    """

    posterior: Posterior
    path: Path
    state: smc.SmcState
    seconds: float


def calibrate(
    config_path: str | Path,
    store: str | Path,
    out: str | Path | None = None,
    overwrite: bool = False,
    simulate: Callable[[Problem], Simulate] | None = None,
) -> Result:
    """Run (or resume) a calibration and write its posterior.

    Args:
        config_path: the calibration config.
        store: the resumable store folder.
        out: the posterior file (default: the model's, :func:`registry.posterior_path`).
        overwrite: start the store afresh if it holds another calibration.
        simulate: makes the problem's simulator (default: :func:`local_simulator`;
            :mod:`abm.calibrate.distributed` runs batches as Prefect tasks).
    """
    t0 = time.perf_counter()
    prob = problem(config_path)
    target = Path(out) if out is not None else registry.posterior_path(prob.config.name)
    if target is None:
        raise InputError(f"model {prob.config.name} has no posterior file; pass --out")
    st = CalibrationStore(store, prob.identity())
    with StoreLock(Path(store), "calibration"):
        resume = st.open(overwrite)
        if resume is not None:
            log.info(
                "resuming the calibration in %s at step %d (beta %.4g)",
                store,
                resume.step,
                resume.beta,
            )
        s = prob.config.smc
        log.info(
            "calibrating %d parameters on %d targets (%d held out, %d categories scored "
            "only by abm validate): %d particles x %d replicates a move",
            prob.space.d,
            len(prob.seen),
            sum(t.public.split == "held_out" for t in prob.targets),
            sum(t.public.kind == "category" and t.public.split != "held_out" for t in prob.targets),
            s.particles,
            s.replicates,
        )
        sim = (simulate or local_simulator)(prob)
        jump = ScenarioJump(prob) if prob.config.jumps == "scenario" else None
        state = smc.run(
            prob.space.d, make_loglik(prob, sim), s, checkpoint=st.save, resume=resume, jump=jump
        )
    if not state.done:
        log.warning(
            "tempering stopped at beta %.4g after %d steps (max_steps)", state.beta, state.step
        )
    post = posterior_of(prob, state)
    save_posterior(post, target)
    log.info("wrote the posterior (%d parameter vectors) to %s", post.n_draws, target)
    return Result(post, target, state, time.perf_counter() - t0)


def simulations(settings: Any, state: smc.SmcState) -> int:
    """Runs of the model a calibration made.

    Its particles' replicates, at the prior and at every move (each move reruns every
    replicate at the proposals).
    """
    moves = 0
    for h in state.history:
        acc = h.get("acceptance")
        moves += len(acc) if isinstance(acc, list) else int(acc is not None)
    return int(settings.particles * settings.replicates * (1 + moves))


def posterior_of(prob: Problem, state: smc.SmcState) -> Posterior:
    """The posterior sample of a final state, with its provenance."""
    theta = prob.space.to_theta(state.z).astype(np.float32)
    low = prob.space.low.astype(np.float32)
    high = prob.space.high.astype(np.float32)
    theta = np.clip(theta, low, high)
    meta: dict[str, Any] = {
        **{k: v for k, v in provenance.collect().items()},
        "model": prob.config.name,
        "method": f"{SAMPLER}; {LIKELIHOOD_NAMES[prob.config.likelihood]} (docs/calibration.md)",
        "config": prob.config.path,
        "config_sha256": hashlib.sha256(prob.identity().encode()).hexdigest(),
        "scenario": prob.scenario.path,
        "scenario_config_hash": prob.scenario.config_hash(),
        "settings": asdict(prob.config.smc),
        "beta": state.beta,
        "steps": state.step,
        "n_parameters": prob.space.d,
        "wall_s": round(sum(float(h.get("seconds", 0.0)) for h in state.history), 1),
        "simulations": simulations(prob.config.smc, state),
        "targets_seen": [t.id for t in prob.seen],
        "targets_held_out": [t.id for t in prob.targets if t.public.split == "held_out"],
        "history": state.history,
    }
    base = {n: prob.scenario.priors[n] for n in prob.space.names}
    return Posterior(prob.space.names, theta, base, meta)


__all__ = [
    "Problem",
    "Result",
    "calibrate",
    "calibration_prior",
    "make_loglik",
    "posterior_of",
    "problem",
]
