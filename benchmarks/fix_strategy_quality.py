"""Label quality of ConsistencyFix's two strategies (ICMConfig.fix_strategy "local" against "rescan"), same seeds,
on blog-gender pairs (the preset's prompts and comparison consistency, as benchmarks/iteration_tokens.py builds
them) with a SIMULATED model: the token-counting stand-in of benchmarks/token_standin.py, whose seeded per-pair
latent is the simulated gold (claim "A>B" true when the pair's latent is positive; the stand-in's score is that
latent with the claim's sign plus per-example and per-prompt noise). No real model runs here (the bundled model
cannot afford these sizes on this CPU); it measures what the strategy change does to the search, not to a model.

For each seed: one run per strategy (scoring folds, 4 folds, max_demos 16, calibrate center, fill), the final
labels' accuracy against the simulated gold, inconsistencies left, and model tokens. Prints per-seed lines and
the paired mean difference of accuracy (local − rescan) with a 95% t interval over seeds.

    .venv/bin/python benchmarks/fix_strategy_quality.py [--pairs 16] [--iterations 150] [--seeds 10] [--smoke]

Last line: `fix_strategy_quality n=… seeds=… local_accuracy=… rescan_accuracy=… diff=… diff_low=… diff_high=…
local_tokens=… rescan_tokens=…`.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.iteration_tokens import blog_problem, config_for  # noqa: E402
from benchmarks.token_standin import CountingBackend, load_tokenizer, seeded_bases  # noqa: E402
from elicitation.scoring import make_scorer  # noqa: E402
from elicitation.scoring.model_access import prompt_tokens  # noqa: E402
from elicitation.search import run_icm  # noqa: E402

T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23, 14: 2.14,
       19: 2.09, 29: 2.05}


def t95(df: int) -> float:
    return T95.get(df) or T95[max(k for k in T95 if k <= df)] if df >= 1 else float("nan")


def one(problem, tokenizer, seed: int, strategy: str, iterations: int) -> dict:
    bases = seeded_bases(problem, seed)
    gold = [b_sign > 0 for b_sign in _latent_signs(problem, seed)]
    backend = CountingBackend(tokenizer, bases, seed=seed, context_length=8192)
    config = config_for(len(problem), iterations, fill=True, fix_strategy=strategy).replace(seed=seed)
    scorer = make_scorer(problem, backend, config)
    backend.scores.set_queries(prompt_tokens(scorer).prompts)
    result = run_icm(problem, config, backend, scorer=scorer)
    labels = [result.labels[e.id] for e in problem.examples]
    from elicitation.consistency import Rules

    return {"accuracy": sum(1 for y, g in zip(labels, gold) if y == g) / len(gold),
            "inconsistent": Rules(problem).count(labels),
            "tokens": result.summary["tokens"] + result.summary.get("fill_tokens", 0)}


def _latent_signs(problem, seed: int) -> list[float]:
    """The stand-in's latent with each claim's sign, without its noise (the simulated gold)."""
    import random

    rng = random.Random(f"bases:{seed}")
    latent, first, out = {}, {}, []
    for i, ex in enumerate(problem.examples):
        g = ex.group if ex.group is not None else f"#{i}"
        if g not in latent:
            latent[g] = rng.gauss(0.0, 1.5)
            first[g] = ex.key
        rng.gauss(0.0, 1.0)  # the individual part, drawn in the same order as seeded_bases
        out.append(latent[g] if ex.key == first[g] else -latent[g])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke or os.environ.get("BENCH_SMOKE") == "1":
        args.pairs, args.iterations, args.seeds = 4, 6, 2
    tokenizer = load_tokenizer()
    problem = blog_problem(2 * args.pairs)
    rows = {"local": [], "rescan": []}
    for seed in range(args.seeds):
        for strategy in rows:
            r = one(problem, tokenizer, seed, strategy, args.iterations)
            rows[strategy].append(r)
            print(f"fix_strategy_quality seed={seed} strategy={strategy} accuracy={r['accuracy']:.3f} "
                  f"inconsistent={r['inconsistent']} tokens={r['tokens']}", flush=True)
    diffs = [a["accuracy"] - b["accuracy"] for a, b in zip(rows["local"], rows["rescan"])]
    mean = statistics.fmean(diffs)
    half = t95(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")

    def avg(strategy, key):
        return statistics.fmean(r[key] for r in rows[strategy])

    print(f"fix_strategy_quality n={len(problem)} seeds={args.seeds} iterations={args.iterations} "
          f"local_accuracy={avg('local', 'accuracy'):.3f} rescan_accuracy={avg('rescan', 'accuracy'):.3f} "
          f"diff={mean:.3f} diff_low={mean - half:.3f} diff_high={mean + half:.3f} "
          f"local_tokens={avg('local', 'tokens'):.0f} rescan_tokens={avg('rescan', 'tokens'):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
