"""The calibration's scores: the prior ensemble against the calibrated one, in and out of sample.

Runs the base scenario twice with the same seed, on its priors alone and on the
posterior, scores both cubes against every target (:func:`abm.analysis.validate`) and
writes a Markdown report: coverage of the 50 % and 90 % intervals, sharpness (median
relative width of the 90 % intervals), the relative interval score and CRPS, per split
(calibration / held out) and per group, the CRPS ratio calibrated / prior per target,
the SMC's diagnostics and the simulation-based calibration of the method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.analysis.validation import Validation, markdown_table, validate
from abm.calibrate.targets import Target

TARGET_COLUMNS = (
    "target",
    "group",
    "split",
    "historical",
    "q05",
    "q50",
    "q95",
    "inside90",
    "crps_rel",
    "rel_width90",
    "pit",
)
SUMMARY_COLUMNS = ("count", "coverage50", "coverage90", "rel_width90", "is_rel", "crps_rel")


def score_cubes(
    prior_cube: Any, posterior_cube: Any, targets: Sequence[Target]
) -> tuple[Validation, Validation]:
    """Both cubes' validations against the same targets."""
    pub = [t.public for t in targets]
    return validate(prior_cube, pub), validate(posterior_cube, pub)


def skeleton_fitted(model: str) -> list[str]:
    """Target-id patterns the slices' skeleton fits used (their files' ``fitted_to``)."""
    import yaml

    from abm.models import registry

    out: list[str] = []
    for d in registry.slice_defs(model):
        path = Path(d.calibration_file) if d.calibration_file else None
        if path is not None and path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            out += [str(p) for p in data.get("fitted_to", [])]
    return out


def unseen_by_both(post: Validation, patterns: Sequence[str]) -> list[str]:
    """Held-out targets that no skeleton pattern names either (out of sample for both)."""
    from fnmatch import fnmatchcase

    df = post.per_target
    held = df[df["split"] == "held_out"]["target"]
    return [t for t in held if not any(fnmatchcase(t, p) for p in patterns)]


def crps_ratio(
    prior: Validation, post: Validation, split: str, only: Sequence[str] | None = None
) -> float:
    """Mean over a split's quantity targets of CRPS(calibrated) / CRPS(prior).

    ``only``: restrict to these target ids.
    """
    a = prior.per_target.set_index("target")
    b = post.per_target.set_index("target")
    keep = a["split"] == split if split != "all" else a["split"].notna()
    if only is not None:
        keep &= a.index.isin(list(only))
    rows = a[keep & (a["kind"] == "quantity") & (a["crps"] > 0)].index
    r = (b.loc[rows, "crps"] / a.loc[rows, "crps"]).to_numpy(float)
    r = r[np.isfinite(r)]
    return float(np.mean(r)) if len(r) else math.nan


def _split_table(prior: Validation, post: Validation) -> pd.DataFrame:
    rows = []
    for name, v in (("prior", prior), ("calibrated", post)):
        g = v.per_group
        for split in ("calibration", "held_out", "all"):
            sel = g[(g["group"] == "all") & (g["split"] == split)]
            if len(sel):
                rows.append(
                    {"ensemble": name, "split": split, **sel.iloc[0][list(SUMMARY_COLUMNS)]}
                )
    return pd.DataFrame(rows)


def group_comparison(prior: Validation, post: Validation) -> pd.DataFrame:
    """Per group and split: coverage, sharpness and CRPS of both ensembles side by side."""
    a = prior.per_group.set_index(["group", "split"])
    b = post.per_group.set_index(["group", "split"])
    out = pd.DataFrame(index=a.index)
    out["count"] = a["count"]
    # Category targets (the alignments) have no interval: their Brier score and the
    # count of most-likely-side hits say how they fare.
    cols = ("coverage90", "rel_width90", "crps_rel", "brier", "modal_hits")
    for col in (c for c in cols if c in a.columns and c in b.columns):
        out[f"{col} prior"] = a[col]
        out[f"{col} calibrated"] = b[col]
    return out.reset_index()


def markdown(
    prior: Validation,
    post: Validation,
    *,
    runs: int,
    seed: int,
    command: str,
    posterior_meta: dict[str, Any],
    sbc: dict[str, Any] | None = None,
    skeleton: Sequence[str] = (),
    scenario: str = "otl",
) -> str:
    """The report (Markdown).

    ``skeleton``: the patterns the prior's own fit used; ``scenario``: the base
    scenario's name.
    """
    ratio_in = crps_ratio(prior, post, "calibration")
    ratio_out = crps_ratio(prior, post, "held_out")
    both = unseen_by_both(post, skeleton)
    ratio_both = crps_ratio(prior, post, "held_out", only=both)
    lines = [
        "# Calibration scores: prior ensemble against calibrated ensemble",
        "",
        f"Written by `{command}`. Both ensembles: the `{scenario}` scenario, {runs} runs, seed "
        f"{seed}; the prior ensemble on the scenario's priors alone (`--posterior none`), "
        "the calibrated one on the posterior. Scores: `abm validate` (docs/validation.md); "
        "`rel_width90` is the median relative width of the 90 % intervals, `is_rel` the "
        "mean interval score (alpha 0.1) and `crps_rel` the mean CRPS, both over the "
        "historical figure; relative figures are over quantity targets (event dates are "
        "in the coverage counts).",
        "",
        "## Summary",
        "",
        markdown_table(_split_table(prior, post)),
        "",
        f"CRPS of the calibrated ensemble over the prior's, mean of per-target ratios: "
        f"{ratio_in:.3f} in sample, {ratio_out:.3f} out of sample (held out).",
        "",
        "The prior ensemble is not a neutral baseline: its priors come from the skeleton "
        "fit (`abm calibrate --skeleton`), which used the rows "
        f"{', '.join(f'`{p}`' for p in skeleton) or '(none)'}, held-out rows among them. "
        f"Held out from both fits: {len(both)} rows ({', '.join(both) or 'none'}); "
        f"there the CRPS ratio is {ratio_both:.3f}.",
        "",
        "## Per group: prior against calibrated",
        "",
        markdown_table(group_comparison(prior, post)),
        "",
        "## Per group (calibrated ensemble, every score)",
        "",
        markdown_table(post.per_group),
        "",
        "## Per target (calibrated ensemble)",
        "",
        markdown_table(post.per_target[list(TARGET_COLUMNS)]),
        "",
        "## Per target (prior ensemble)",
        "",
        markdown_table(prior.per_target[list(TARGET_COLUMNS)]),
        "",
        "## The calibration run",
        "",
    ]
    meta = posterior_meta
    lines += [
        f"- method: {meta.get('method')}",
        f"- parameters calibrated: {meta.get('n_parameters', '?')}; targets seen: "
        f"{len(meta.get('targets_seen', []))}; held out: {len(meta.get('targets_held_out', []))}",
        f"- settings: {meta.get('settings')}",
        f"- tempering steps: {meta.get('steps')}, final beta {meta.get('beta')}, "
        f"simulations (runs): {meta.get('simulations')}",
        f"- wall time of the calibration steps: {meta.get('wall_s', '?')} s",
        "",
        "| step | beta | ESS before resampling | acceptance | unique particles | seconds |",
        "| ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for h in meta.get("history", []):
        if "step" in h:
            lines.append(
                f"| {h['step']} | {h['beta']:.4g} | {h.get('ess_before_resampling', '')} "
                f"| {h.get('acceptance', '')} | {h.get('unique_particles', '')} | {h['seconds']} |"
            )
    if sbc:
        lines += [
            "",
            "## Simulation-based calibration of the method",
            "",
            f"{sbc['text']}",
        ]
    return "\n".join(lines) + "\n"


def write(path: str | Path, text: str, overwrite: bool) -> Path:
    """Write the report atomically (only a file this program may replace)."""
    from abm.outputs import write_text

    return write_text(path, text, overwrite, "--report")


__all__ = ["crps_ratio", "markdown", "score_cubes", "write"]
