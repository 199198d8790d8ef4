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
naive_seconds=… time_ratio=… cpu_ratio=… max_abs_diff=…`; the exit status is 1 if any scores disagree.
Wall-clock timings on a shared CPU are noisy (other processes take turns on the cores); the process's CPU
seconds are printed beside them, and with one torch thread (ICM_TORCH_THREADS=1) they are the steadier figure.

`--more-folds 8 16` also measures folds with those fold counts (fewer demonstrations left out, more contexts);
`--order-floor` also scores exact with the demonstrations shuffled and prints its Pearson with exact: how much
demonstration order alone moves the exact scores, a ceiling for what any approximation can keep.

Fast modes (`--modes exact folds blocks`, the default): for each mode, one full evaluation and one
re-evaluation after a single label change (a seeded example's label flipped) on the same scorer, each against
the naive way (every prompt from scratch: the same cost for a full evaluation and a re-evaluation), and each
approximate mode's Pearson correlation and sign agreement with the exact scores on the same labeled set
(they are approximations: measured, never assumed equal). Lines `score_cost n=N mode=M eval=full|change …`.
The last line, for the largest n, reads (naive over ours, bigger is better; re-evaluation after one change):
`score_cost n=64 exact_tokens_ratio=R1 folds_tokens_ratio=R2 folds_seconds_ratio=S2 folds_pearson=P2
blocks_tokens_ratio=R3 blocks_seconds_ratio=S3 blocks_pearson=P3`.

`--device cuda --n 256 --model random-llama-3.1-8b` builds a Llama-3.1-8B-shaped model with random weights
(the shape is what costs; nothing is downloaded) and the bundled tokenizer. That path has not been run on
the CPU-only machine this was written on.

Needs `make install` only. --smoke (or BENCH_SMOKE=1): n=4, the same modes, every prompt run the naive way.
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
from benchmarks._support import smoke, sst2  # noqa: E402
from elicitation.scoring import make_scorer  # noqa: E402

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
    began, cpu = time.perf_counter(), time.process_time()
    scores = scorer.evaluate(labels)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    order = sorted(scores)
    prompts = [scorer.builder.prompt(scorer.demos(labels, exclude=i), i) for i in order]
    naive_tokens = sum(backend.count_tokens(p) for p in prompts)
    if naive_sample and naive_sample < n:
        picked = [round(k * (n - 1) / (naive_sample - 1)) for k in range(naive_sample)]
    else:
        picked = list(range(n))
    began, cpu = time.perf_counter(), time.process_time()
    naive = backend.score_naive([prompts[k] for k in picked], WORDS)
    scale = n / len(picked)
    naive_seconds, naive_cpu = (time.perf_counter() - began) * scale, (time.process_time() - cpu) * scale
    diff = max(abs(scores[order[k]].log_odds - r.log_odds) for k, r in zip(picked, naive.results))
    return {"n": n, "mode": mode, "tokens": scorer.tokens, "naive_tokens": naive_tokens, "seconds": seconds,
            "naive_seconds": naive_seconds, "cpu_seconds": cpu_seconds, "naive_cpu_seconds": naive_cpu,
            "naive_measured": len(picked), "max_abs_diff": diff, "scorer": scorer, "scores": {i: s.log_odds for i, s in scores.items()}}


def flipped_copy(labels: list[bool], seed: int = 1) -> tuple[int, list[bool]]:
    """The same labeling with one seeded example's label changed."""
    k = random.Random(seed).randrange(len(labels))
    out = list(labels)
    out[k] = not out[k]
    return k, out


def timed_evaluation(scorer, labels) -> tuple[dict, int, float]:
    tokens = scorer.tokens
    began = time.perf_counter()
    scores = scorer.evaluate(labels)
    return scores, scorer.tokens - tokens, time.perf_counter() - began


def pearson(a: list[float], b: list[float]) -> float:
    import numpy as np

    return float(np.corrcoef(np.array(a), np.array(b))[0, 1])


def sign_agreement(a: list[float], b: list[float], centered: bool = False) -> float:
    ma = sum(a) / len(a) if centered else 0.0
    mb = sum(b) / len(b) if centered else 0.0
    return sum((x - ma > 0) == (y - mb > 0) for x, y in zip(a, b)) / len(a)


def agreement(scores: dict, exact: dict) -> dict:
    """Pearson and sign agreement (raw and centered) of `scores` with the exact scores, on the same examples."""
    order = sorted(scores)
    ours = [scores[i].log_odds for i in order]
    ref = [exact["scores"][i] for i in order]
    return {"pearson": pearson(ours, ref), "sign_agreement": sign_agreement(ours, ref),
            "centered_sign_agreement": sign_agreement(ours, ref, centered=True)}


def measure_mode(backend, n: int, mode: str, exact: dict, folds: int = 4) -> dict:
    """One full evaluation and one re-evaluation after a label change, on one scorer; agreement with exact."""
    problem, _ = sst2.problem(n)
    labels = labels_for(n)
    _, flipped = flipped_copy(labels)
    scorer = make_scorer(problem, backend, ICMConfig(scoring=mode, folds=folds))
    scorer.check_context()
    scores, tokens, seconds = timed_evaluation(scorer, labels)
    _, change_tokens, change_seconds = timed_evaluation(scorer, flipped)
    label = mode if mode != "folds" or folds == 4 else f"folds{folds}"
    return {"n": n, "mode": label, "tokens": tokens, "seconds": seconds, "change_tokens": change_tokens,
            "change_seconds": change_seconds, **agreement(scores, exact)}


def order_floor(backend, n: int, exact: dict, seed: int = 7) -> dict:
    """Exact scores with the demonstrations in another (seeded, shuffled) order, against exact scores: how
    much of the exact scores an approximation could hope to keep, when the order alone moves them this much."""
    problem, _ = sst2.problem(n)
    labels = labels_for(n)
    scorer = make_scorer(problem, backend, ICMConfig(scoring="exact"))
    random.Random(seed).shuffle(scorer.order)
    return agreement(scorer.evaluate(labels), exact)


def random_llama_backend(device: str):  # pragma: no cover - needs a CUDA machine; not run here
    """Llama-3.1-8B's shape with random weights, behind the hf backend, with the bundled tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from elicitation import models
    from elicitation.backends.hf import HFBackend

    config = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                         num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                         rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(models.resolve("smollm2"))
    return HFBackend(model.eval(), tokenizer, name="random-llama-3.1-8b", device=device)


def report_modes(results: list[dict], naive_tokens: int, naive_seconds: float) -> None:
    for r in results:
        for kind, tokens, seconds in (("full", r["tokens"], r["seconds"]),
                                      ("change", r["change_tokens"], r["change_seconds"])):
            print(f"score_cost n={r['n']} mode={r['mode']} eval={kind} tokens={tokens} naive_tokens={naive_tokens} "
                  f"tokens_ratio={naive_tokens / max(tokens, 1):.1f} seconds={seconds:.2f} "
                  f"naive_seconds={naive_seconds:.1f} seconds_ratio={naive_seconds / max(seconds, 1e-9):.1f}"
                  + (f" pearson={r['pearson']:.3f} sign_agreement={r['sign_agreement']:.3f} "
                     f"centered_sign_agreement={r['centered_sign_agreement']:.3f}" if r["mode"] != "exact" else ""),
                  flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="Cost of one full evaluation of P(D) against the naive way.")
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--n", type=int, nargs="+", dest="sizes", help="same as --sizes")
    ap.add_argument("--modes", nargs="+", default=["exact", "folds", "blocks"],
                    help="scoring modes to measure (default exact folds blocks; exact is always measured)")
    ap.add_argument("--naive-sample", type=int, default=8,
                    help="above n=32, run the naive way on this many prompts and scale its time (0: all)")
    ap.add_argument("--more-folds", type=int, nargs="*", default=[],
                    help="also measure folds with these fold counts (mode=foldsF lines; the last line keeps F=4)")
    ap.add_argument("--order-floor", action="store_true",
                    help="also score exact with the demonstrations shuffled, and print its Pearson with exact "
                         "(how much demonstration order alone moves the scores; one more full exact evaluation)")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--device", default="cpu")
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, sizes=[4])

    if args.model == "random-llama-3.1-8b":
        backend = random_llama_backend(args.device)
    else:
        backend = load_backend(args.model, kind="hf", device=args.device)
    import torch

    print(f"model {args.model} on {args.device}, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"{'n':>4} {'mode':>6} {'tokens':>9} {'naive':>9} {'ratio':>6} {'seconds':>8} {'naive s':>8} "
          f"{'ratio':>6} {'cpu s':>8} {'naive':>8} {'ratio':>6} {'max|diff|':>9}", flush=True)
    failed = False
    last = None
    for n in args.sizes:
        for mode in ["exact"]:
            sample = args.naive_sample if n > 32 else None
            r = measure(backend, n, mode, sample)
            ok = r["max_abs_diff"] <= TOLERANCE
            failed |= not ok
            note = "" if r["naive_measured"] == n else f"  (naive time from {r['naive_measured']} of {n} prompts)"
            print(f"{n:>4} {mode:>6} {r['tokens']:>9,} {r['naive_tokens']:>9,} {r['tokens'] / r['naive_tokens']:>6.2f} "
                  f"{r['seconds']:>8.1f} {r['naive_seconds']:>8.1f} {r['seconds'] / r['naive_seconds']:>6.2f} "
                  f"{r['cpu_seconds']:>8.1f} {r['naive_cpu_seconds']:>8.1f} "
                  f"{r['cpu_seconds'] / r['naive_cpu_seconds']:>6.2f} {r['max_abs_diff']:>9.1e}{'' if ok else '  DISAGREE'}{note}", flush=True)
            print(f"score_cost n={n} mode={mode} tokens={r['tokens']} naive_tokens={r['naive_tokens']} "
                  f"token_ratio={r['tokens'] / r['naive_tokens']:.3f} seconds={r['seconds']:.1f} "
                  f"naive_seconds={r['naive_seconds']:.1f} time_ratio={r['seconds'] / r['naive_seconds']:.3f} "
                  f"cpu_ratio={r['cpu_seconds'] / r['naive_cpu_seconds']:.3f} "
                  f"max_abs_diff={r['max_abs_diff']:.2e}", flush=True)
        # exact: the re-evaluation runs on the scorer measure() used for the full evaluation
        _, change_tokens, change_seconds = timed_evaluation(r["scorer"], flipped_copy(labels_for(n))[1])
        exact = {"n": n, "mode": "exact", "tokens": r["tokens"], "seconds": r["seconds"], "scores": r["scores"],
                 "change_tokens": change_tokens, "change_seconds": change_seconds}
        results = [exact] + [measure_mode(backend, n, m, exact) for m in args.modes if m != "exact"]
        if "folds" in args.modes:
            results += [measure_mode(backend, n, "folds", exact, folds=f) for f in args.more_folds]
        report_modes(results, r["naive_tokens"], r["naive_seconds"])
        if args.order_floor:
            f = order_floor(backend, n, exact)
            print(f"score_cost n={n} reference=exact-shuffled-order pearson={f['pearson']:.3f} "
                  f"sign_agreement={f['sign_agreement']:.3f} "
                  f"centered_sign_agreement={f['centered_sign_agreement']:.3f}", flush=True)
        last = (n, r, {x["mode"]: x for x in results})
    if last:
        n, r, by_mode = last
        parts = [f"score_cost n={n}",
                 f"exact_tokens_ratio={r['naive_tokens'] / max(by_mode['exact']['change_tokens'], 1):.2f}"]
        for m in ("folds", "blocks"):
            if m in by_mode:
                x = by_mode[m]
                parts += [f"{m}_tokens_ratio={r['naive_tokens'] / max(x['change_tokens'], 1):.1f}",
                          f"{m}_seconds_ratio={r['naive_seconds'] / max(x['change_seconds'], 1e-9):.1f}",
                          f"{m}_pearson={x['pearson']:.3f}"]
        print(" ".join(parts), flush=True)
    if failed:
        print(f"scores disagree by more than {TOLERANCE}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
