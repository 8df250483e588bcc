"""How noisy is the calibration's likelihood estimate? (docs/calibration.md, sixth finding)

Reads the particles of a calibration store (``results/calibration/interwar/state.npz``
after ``abm calibrate``) and, on a sample of them:

1. estimates each one's synthetic log-likelihood twice on fresh random numbers: the sd
   of the difference over sqrt(2) is the estimate's noise, and the stored estimates'
   excess over fresh ones is what pseudo-marginal selection added;
2. proposes a small random-walk step from each (the particles' covariance times
   ``--scale``) and compares the two estimates' difference on the same random numbers
   (common random numbers) with the difference on different ones.

Usage: ``python benchmarks/calibration_noise.py [--particles 48] [--scale 0.05 0.15]``
(about 1,500 runs per estimate batch; a few minutes on a 2-core CPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from abm.calibrate.run import make_loglik, problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/calibration/interwar.yaml")
    ap.add_argument("--store", default="results/calibration/interwar/state.npz")
    ap.add_argument("--particles", type=int, default=48)
    ap.add_argument("--scale", type=float, nargs="*", default=[0.05, 0.15])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    prob = problem(args.config)
    state = np.load(Path(args.store), allow_pickle=True)
    z, stored = state["z"], state["loglik"]
    loglik = make_loglik(prob)
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(z), min(args.particles, len(z)), replace=False)
    names = [t.id for t in prob.seen]
    # Offsets far past any calibration's own simulations: fresh random numbers.
    a, b = loglik(z[idx], 10_000_000), loglik(z[idx], 20_000_000)
    noise = (a.loglik - b.loglik).std() / np.sqrt(2.0)
    print(f"particles: {len(z)}; stored estimates' sd across them: {stored.std():.2f} nats")
    print(f"noise of one estimate: {noise:.2f} nats")
    excess = [(stored[idx] - f.loglik).mean() for f in (a, b)]
    print(f"stored minus fresh, mean: {excess[0]:.2f}, {excess[1]:.2f} nats")
    per = (a.per_target - b.per_target).std(axis=0) / np.sqrt(2.0)
    top = np.argsort(-per)[:6]
    print("noisiest rows:", ", ".join(f"{names[i]} {per[i]:.2f}" for i in top))
    chol = np.linalg.cholesky(np.cov(z, rowvar=False) + 1e-8 * np.eye(z.shape[1]))
    for scale in args.scale:
        prop = z[idx] + scale * rng.standard_normal((len(idx), z.shape[1])) @ chol.T
        same = loglik(prop, 10_000_000).loglik - a.loglik
        other = loglik(prop, 30_000_000).loglik - a.loglik
        print(
            f"step {scale}: sd of the estimates' difference on common random numbers "
            f"{same.std():.2f}, on different ones {other.std():.2f} nats"
        )


if __name__ == "__main__":
    main()
