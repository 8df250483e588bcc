"""``abm calibrate`` end to end: calibrate (or resume), write the posterior, score it.

The report's figures come from two ensembles of the base scenario at the same seed, on
its priors and on the new posterior (:mod:`abm.calibrate.report`), and from the
simulation-based calibration of the method on a synthetic model (:mod:`.sbc`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from abm.calibrate import report as rep
from abm.calibrate import sbc as sbc_mod
from abm.calibrate.config import SmcSettings, find_config
from abm.calibrate.run import calibrate, problem
from abm.errors import InputError

log = logging.getLogger(__name__)

#: The SBC's settings: the real calibration's kinds of settings, smaller.
SBC_SETTINGS = SmcSettings(
    particles=200,
    replicates=8,
    global_moves=2,
    inflate=1.2,
    moves=2,
    max_steps=30,
    final_moves=2,
)


def default_config(model: str = "interwar") -> Path:
    """``configs/calibration/<model>.yaml`` of this checkout."""
    found = find_config(model)
    if found is None:
        raise InputError(
            f"configs/calibration/{model}.yaml not found (run from the repository); "
            "allowed: --config PATH"
        )
    return found


def check_report_path(report: str | Path | None, overwrite: bool) -> None:
    """Refuse a report path before anything runs."""
    if report is None:
        return
    from abm.outputs import check_file_target

    p = Path(report)
    if not p.parent.is_dir():
        raise InputError(f"--report {report}: folder {p.parent} does not exist")
    if not os.access(p.parent, os.W_OK):
        raise InputError(f"--report {report}: folder {p.parent} cannot be written")
    check_file_target(p, overwrite, "--report")


def sbc_text(n_datasets: int, seed: int = 0) -> dict[str, Any]:
    """Run the SBC on the synthetic model and describe it (Markdown)."""
    model = sbc_mod.SyntheticModel.make()
    smc_log = logging.getLogger("abm.calibrate.smc")
    level = smc_log.level
    smc_log.setLevel(logging.WARNING)  # hundreds of small calibrations: their steps are noise
    try:
        log.info("simulation-based calibration of the method: %d synthetic data sets", n_datasets)
        ranks = sbc_mod.sbc_ranks(model, n_datasets, SBC_SETTINGS, seed=seed)
    finally:
        smc_log.setLevel(level)
    p = sbc_mod.rank_test(ranks, SBC_SETTINGS.particles)
    n = SBC_SETTINGS.particles
    lines = [
        f"{n_datasets} synthetic data sets from the prior of a {model.a.shape[1]}-parameter, "
        f"{model.a.shape[0]}-output stochastic model (`abm.calibrate.sbc`), each calibrated "
        f"with {n} particles x {SBC_SETTINGS.replicates} replicates: the rank of the true "
        f"parameter among the {n} posterior draws, in 10 equal bins (uniform: "
        f"{n_datasets / 10:g} each), and the chi-square p-value of uniformity.",
        "",
        "| parameter | counts per rank bin | p-value |",
        "| --- | --- | ---: |",
    ]
    import numpy as np

    edges = np.linspace(0, n + 1, 11)
    for j in range(ranks.shape[1]):
        counts, _ = np.histogram(ranks[:, j], bins=edges)
        lines.append(f"| theta_{j} | {' '.join(str(int(c)) for c in counts)} | {p[j]:.3f} |")
    return {"text": "\n".join(lines), "p_values": p.tolist()}


def run_command(
    config: str | Path | None,
    store: str | Path | None,
    out: str | Path | None,
    overwrite: bool,
    report: str | Path | None,
    report_runs: int,
    seed: int,
    sbc_datasets: int,
    command: str,
    say: Any = print,
    prefect: bool = False,
    dask_address: str | None = None,
    batch_points: int = 64,
) -> int:
    """``abm calibrate``: see the module doc. Returns the exit status."""
    from abm import api

    cfg_path = Path(config) if config is not None else default_config()
    check_report_path(report, overwrite)
    prob = problem(cfg_path)  # checks the config before anything runs
    store_path = (
        Path(store) if store is not None else Path("results/calibration") / prob.config.name
    )
    if prefect or dask_address:
        from abm.calibrate.distributed import run_flow
        from abm.posterior import load_posterior

        path = run_flow(cfg_path, store_path, out, overwrite, batch_points, dask_address)
        post = load_posterior(path)
    else:
        result = calibrate(cfg_path, store_path, out, overwrite)
        post, path = result.posterior, result.path
    say(
        f"calibration: {post.n_draws} parameter vectors of {prob.space.d} parameters, "
        f"beta {float(post.meta['beta']):.4g} after {post.meta['steps']} steps; "
        f"posterior written to {path}"
    )
    if report_runs == 0:
        return 0
    base = prob.scenario
    prior_cube = api.run(base, runs=report_runs, seed=seed, posterior="none")
    post_cube = api.run(base, runs=report_runs, seed=seed, posterior=str(path))
    scored_prior, scored_post = rep.score_cubes(prior_cube, post_cube, prob.targets)
    sbc = sbc_text(sbc_datasets) if sbc_datasets > 0 else None
    text = rep.markdown(
        scored_prior,
        scored_post,
        runs=report_runs,
        seed=seed,
        command=command,
        posterior_meta=dict(post.meta),
        sbc=sbc,
        skeleton=rep.skeleton_fitted(prob.config.name),
        scenario=base.name,
    )
    say(text.split("## Per group")[0])
    if report is not None:
        rep.write(report, text, overwrite)
        say(f"report written to {report}")
    return 0


__all__ = ["default_config", "run_command", "sbc_text"]
