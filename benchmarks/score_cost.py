"""What one full evaluation of P(D) costs, against the naive way, on the bundled model.

A full evaluation over n labeled examples is n leave-one-out prompts of n−1 demonstrations. The naive way
runs every prompt from scratch, one after another. The engine's exact scorer keeps the demonstration order
stable and lets the backend reuse the key/value cache of shared prefixes (and would take unchanged prompts
from its cache; a fresh scorer is used here, so nothing comes from it). Both are measured in the same run on
the same prompts, and their scores must agree to 1e-3.

For large n the naive way is slow: by default it runs every prompt for n <= 32 and an evenly spaced sample
of 8 prompts at n = 64, whose time is scaled to all n prompts (its token count is exact either way).

    .venv/bin/python benchmarks/score_cost.py [--sizes 16 32 64] [--naive-sample 8] [--device cpu]

Each size prints a line `score_cost n=N mode=exact tokens=… naive_tokens=… token_ratio=… seconds=…
naive_seconds=… time_ratio=… max_abs_diff=…`; the exit status is 1 if any scores disagree.
Timings on a shared CPU are noisy; the ratios are what to read.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from elicitation import ICMConfig, load_backend  # noqa: E402
from elicitation.scoring import make_scorer  # noqa: E402
from tests.engine import sst2  # noqa: E402

TOLERANCE = 1e-3
WORDS = (" True", " False")


def labels_for(n: int, seed: int = 0) -> list[bool]:
    """A balanced random labeling (the cost does not depend on which labels)."""
    labels = [True] * (n // 2) + [False] * (n - n // 2)
    random.Random(seed).shuffle(labels)
    return labels


def measure(backend, n: int, mode: str, naive_sample: int | None) -> dict:
    problem, _ = sst2.problem(n)
    labels = labels_for(n)
    scorer = make_scorer(problem, backend, ICMConfig(scoring=mode))
    began = time.perf_counter()
    scores = scorer.evaluate(labels)
    seconds = time.perf_counter() - began
    order = sorted(scores)
    prompts = [scorer.builder.prompt(scorer.demos(labels, exclude=i), i) for i in order]
    naive_tokens = sum(backend.count_tokens(p) for p in prompts)
    if naive_sample and naive_sample < n:
        picked = [round(k * (n - 1) / (naive_sample - 1)) for k in range(naive_sample)]
    else:
        picked = list(range(n))
    began = time.perf_counter()
    naive = backend.score_naive([prompts[k] for k in picked], WORDS)
    naive_seconds = (time.perf_counter() - began) * n / len(picked)
    diff = max(abs(scores[order[k]].log_odds - r.log_odds) for k, r in zip(picked, naive.results))
    return {"n": n, "mode": mode, "tokens": scorer.tokens, "naive_tokens": naive_tokens, "seconds": seconds,
            "naive_seconds": naive_seconds, "naive_measured": len(picked), "max_abs_diff": diff}


def main() -> int:
    ap = argparse.ArgumentParser(description="Cost of one full evaluation of P(D) against the naive way.")
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--modes", nargs="+", default=["exact"], help="scoring modes to measure (default exact)")
    ap.add_argument("--naive-sample", type=int, default=8,
                    help="above n=32, run the naive way on this many prompts and scale its time (0: all)")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    backend = load_backend(args.model, kind="hf", device=args.device)
    import torch

    print(f"model {args.model} on {args.device}, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"{'n':>4} {'mode':>6} {'tokens':>9} {'naive':>9} {'ratio':>6} {'seconds':>8} {'naive s':>8} "
          f"{'ratio':>6} {'max|diff|':>9}", flush=True)
    failed = False
    for n in args.sizes:
        for mode in args.modes:
            sample = args.naive_sample if n > 32 else None
            r = measure(backend, n, mode, sample)
            ok = r["max_abs_diff"] <= TOLERANCE
            failed |= not ok
            note = "" if r["naive_measured"] == n else f"  (naive time from {r['naive_measured']} of {n} prompts)"
            print(f"{n:>4} {mode:>6} {r['tokens']:>9,} {r['naive_tokens']:>9,} {r['tokens'] / r['naive_tokens']:>6.2f} "
                  f"{r['seconds']:>8.1f} {r['naive_seconds']:>8.1f} {r['seconds'] / r['naive_seconds']:>6.2f} "
                  f"{r['max_abs_diff']:>9.1e}{'' if ok else '  DISAGREE'}{note}", flush=True)
            print(f"score_cost n={n} mode={mode} tokens={r['tokens']} naive_tokens={r['naive_tokens']} "
                  f"token_ratio={r['tokens'] / r['naive_tokens']:.3f} seconds={r['seconds']:.1f} "
                  f"naive_seconds={r['naive_seconds']:.1f} time_ratio={r['seconds'] / r['naive_seconds']:.3f} "
                  f"max_abs_diff={r['max_abs_diff']:.2e}", flush=True)
    if failed:
        print(f"scores disagree by more than {TOLERANCE}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
