"""The run-time cost of a model's extra slices: runs/s of two registered models, alternated.

Usage: ``python benchmarks/slice_cost.py [MODEL_A MODEL_B]`` (default ``interwar`` against
``interwar_international``): compiles each (1,024 runs), then three rounds of 4,096 runs of
each in turn, chunks of 1,024, one CPU device unless XLA_FLAGS says otherwise.
"""

import sys
import time

from abm.engine.priors import PriorTable
from abm.engine.runner import Runner
from abm.models.registry import build_model

MODELS = tuple(sys.argv[1:3]) or ("interwar", "interwar_international")
res: dict[str, list[float]] = {}
runners = {}
for name in MODELS:
    m = build_model(name)
    bounds = [(p.low, p.high) for p in m.params]
    t = PriorTable.stack([PriorTable.build([p.prior for p in m.params], bounds)])
    r = Runner(m, chunk_size=1024)
    t0 = time.perf_counter()
    r.run(0, t, 1024)
    took = time.perf_counter() - t0
    print(f"{name}: compile and 1,024 runs {took:.1f} s, {m.n_agents} agents", flush=True)
    runners[name] = (r, t)
for rnd in range(3):
    for name, (r, t) in runners.items():
        t0 = time.perf_counter()
        r.run(rnd + 1, t, 4096)
        res.setdefault(name, []).append(4096 / (time.perf_counter() - t0))
        print(rnd, name, round(res[name][-1]), "runs/s", flush=True)
for k, v in res.items():
    print(k, [round(x) for x in v])
