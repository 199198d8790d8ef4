"""Trained conditions (issue 22): judge each label source by the probe it trains, with the bundled model
(SmolLM2-135M) on this CPU, one torch thread, on SST-2 (GLUE SST-2 dev, the studio's bundled copy).

Items: the 872 dev sentences shuffled with --seed; the first --train are the train items, the next --test the test
items. Sources, each a labeling of the train items:
- gold;
- random: a fair coin per item (--seeds seeds, averaged);
- sim60 … sim90: SIMULATED annotators, each label right with probability 0.6 / 0.7 / 0.8 / 0.9 (seeds averaged);
- zero_shot: the model's own zero-shot predictions (calibrated by centering, as the engine's calibrate="center"),
  read off the same feature vectors through the LM head (equal to the engine's zero-shot scores; a test checks);
- icm: the labels of an ICM run (folds scoring, calibrate center, then fill) over the first --icm-n train items
  (a documented subset: an ICM run over all 256 does not fit this benchmark's CPU budget); gold_icm_subset trains
  on gold for those same items, the fair comparison for icm.
Each repeat draws a seeded subsample (--fraction of the train items; for icm / gold_icm_subset of the ICM subset)
on which every source trains: paired. A probe (standardized features → L2 logistic regression, C by 5-fold CV on
the source's own labels) predicts the test items. Features are computed once (a FeatureStore in a temporary
folder) and shared by every source and repeat.

Per source: accuracy on the test items (mean over repeats × seeds), its 95% interval (percentile bootstrap over
test items, 2,000 resamples), sd over repeats, n. Gold is read to make the gold source, the simulated annotators
and to measure; it never reaches another source's training or C.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 ICM_TORCH_THREADS=1 .venv/bin/python benchmarks/trained_conditions.py
    ... --smoke (or BENCH_SMOKE=1): 12 train / 8 test, 1 repeat, 1 seed, ICM 1 iteration over 8 items, and the
        in-context half with 2 demonstrations, 1 repeat.
    ... --in-context: also the in-context measure on the same test items for gold, random and icm: per repeat
        (--ic-repeats, default 2) --demos (16) demonstrations drawn from the ICM subset, the same ids for every
        source. Its cost is a pass over the test items per source and repeat (~0.27 CPU s per item with 16
        demonstrations: ~800 CPU s at 500 test items), so it has fewer repeats than the trained half.

features_s_per_100 is CPU seconds of this process (one torch thread: the wall time on an idle core), so that
it means something on a shared machine; total_s is wall time (the CPU total is printed above it).

Last line: trained_conditions gold=G random=R sim60=A sim90=B icm=I zero_shot=Z features_s_per_100=F total_s=T
and with --in-context: ... ic_gold=.. ic_random=.. ic_icm=.. ic_zero_shot=.. ic_demos=K ic_repeats=N ic_cpu_s=C
(ic_zero_shot: the untrained zero-shot accuracy, centered, on the same items; ic_cpu_s: the in-context half's CPU).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEV_TSV = REPO / "studio" / "presets" / "sst2" / "dev.tsv"
TEMPLATE = "Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\nI think this claim is "
WORDS = (" True", " False")
# the in-context half's cost per test query with 16 demonstrations, bundled model, one thread: 0.27 CPU s measured
# on 100 test items at load 14 (2026-12-05; a feature vector cost 0.09 CPU s in the same process)
IC_CPU_S_PER_QUERY = 0.27


def sst2_rows() -> list[tuple[str, bool]]:
    """(sentence, positive) of GLUE SST-2 dev in file order (the reader tests/support/sst2.py uses, copied: a
    benchmark does not import tests/)."""
    out = []
    for line in DEV_TSV.read_text(encoding="utf-8").splitlines()[1:]:
        sentence, label = line.split("\t")
        out.append((sentence.rstrip(" "), label == "1"))
    return out


def interval(correct: np.ndarray, seed: int = 0, resamples: int = 2000) -> tuple[float, float]:
    """95% percentile bootstrap over test items of the mean accuracy; correct is [runs, items] of 0/1."""
    per_item = correct.mean(axis=0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(per_item), size=(resamples, len(per_item)))
    means = per_item[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def lm_head_log_odds(backend, X: np.ndarray) -> np.ndarray:
    """The zero-shot log-odds from feature vectors: the LM head applied to the vector it reads."""
    import torch

    t, f = backend.label_token_ids(WORDS)
    head = backend.model.get_output_embeddings()
    with torch.inference_mode():
        logp = torch.log_softmax(head(torch.tensor(X)).float(), dim=-1)
        return (torch.logsumexp(logp[:, t], -1) - torch.logsumexp(logp[:, f], -1)).numpy()


def run_icm_labels(backend, prompts, args) -> tuple[list[bool], dict]:
    from elicitation import Example, ICMConfig, Problem, run_icm

    problem = Problem([Example(f"t{i}", p) for i, p in enumerate(prompts)])
    config = ICMConfig(seed=args.seed, iterations=args.icm_iterations, calibrate="center", scoring="folds",
                       fill=True, max_demos=args.icm_max_demos)
    began, cpu0 = time.monotonic(), time.process_time()
    # the limit is on this process's CPU seconds: on a shared machine wall time says little
    result = run_icm(problem, config, backend, should_stop=lambda: time.process_time() - cpu0 > args.icm_time_limit)
    stopped = result.stopped
    if stopped:  # out of time: label the rest by prediction, as fill does after a finished search
        done = result.state.iteration
        result = run_icm(problem, ICMConfig(**{**config.to_dict(), "iterations": done}), backend,
                         state=result.state)
    labels = [result.labels[f"t{i}"] for i in range(len(prompts))]
    if any(y is None for y in labels):
        raise SystemExit("ICM left items unlabeled after fill")
    s = result.summary
    info = {"seconds": round(time.monotonic() - began, 1), "iterations": s["iterations"],
            "elicited": len(prompts) - len(result.filled), "filled": len(result.filled),
            "tokens": s["tokens"] + s.get("fill_tokens", 0), "stopped_by_cpu_limit": stopped}
    return labels, info


def in_context_correct(backend, demo_prompts, demo_labels, test_prompts, test_gold) -> np.ndarray:
    """Per test item, right (1) or wrong (0): the demonstrations (in the order given) then each test query,
    labeled by the sign of the centered log-odds (the engine's many-shot baseline with calibrate center). The
    backend reuses the demonstrations' key/value cache across queries, so a query costs about what its own
    feature vector did and a little more: IC_CPU_S_PER_QUERY per test item per (source, repeat)."""
    from elicitation import Example, ICMConfig, Problem, baselines

    demos = Problem([Example(f"d{i}", p) for i, p in enumerate(demo_prompts)])
    labels = {f"d{i}": bool(y) for i, y in enumerate(demo_labels)}
    test = Problem([Example(f"q{j}", p) for j, p in enumerate(test_prompts)])
    result = baselines.many_shot(demos, labels, backend, ICMConfig(calibrate="center"), test=test)
    return np.array([result.labels[f"q{j}"] == g for j, g in enumerate(test_gold)], dtype=float)


def in_context_half(backend, args, train_prompts, labelings: dict, test_prompts, test_gold) -> dict:
    """The in-context measure on the same test items, paired: per repeat one seeded draw of --demos ids from the
    ICM subset (the items every source labels), the same ids for every source; only the labels differ. Fewer
    repeats than the trained half (--ic-repeats): its cost is a full pass over the test items per source and
    repeat, where the trained half reuses one feature pass."""
    queries = len(labelings) * args.ic_repeats * len(test_prompts)
    print(f"\nin-context, {args.demos} demonstrations drawn from the first {args.icm_n} train items (the same ids "
          f"per repeat for every source), {args.ic_repeats} repeat(s), labels by the sign of the centered log-odds, "
          f"the same {len(test_prompts)} test items: {queries} queries, about {queries * IC_CPU_S_PER_QUERY:.0f} CPU s "
          f"({IC_CPU_S_PER_QUERY} CPU s per query as measured)", flush=True)
    out = {}
    for name, labels in labelings.items():
        c0 = time.process_time()
        correct, accs = [], []
        for r in range(args.ic_repeats):
            pick = random.Random(20_000 + r).sample(range(args.icm_n), min(args.demos, args.icm_n))
            right = in_context_correct(backend, [train_prompts[i] for i in pick], [labels[i] for i in pick],
                                       test_prompts, test_gold)
            correct.append(right)
            accs.append(float(right.mean()))
        correct = np.array(correct)
        lo, hi = interval(correct)
        out[name] = {"acc": float(correct.mean()), "lo": lo, "hi": hi, "cpu_s": time.process_time() - c0}
        print(f"  {name:16s} {100 * correct.mean():5.1f}%  [{100 * lo:.1f}, {100 * hi:.1f}]  repeats "
              f"{[round(100 * a, 1) for a in accs]}, n={len(test_prompts)} test items, "
              f"{out[name]['cpu_s']:.0f} CPU s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=256)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3, help="seeds of each random / simulated source, averaged")
    ap.add_argument("--fraction", type=float, default=0.8, help="share of train items each repeat trains on")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--icm-n", type=int, default=48, help="ICM runs over this many train items (a subset)")
    ap.add_argument("--icm-iterations", type=int, default=60)
    ap.add_argument("--icm-time-limit", type=float, default=300.0,
                    help="CPU seconds for the search; then the rest of the ICM subset is filled")
    ap.add_argument("--icm-max-demos", type=int, default=None)
    ap.add_argument("--in-context", action="store_true", help="also the in-context measure (K demonstrations)")
    ap.add_argument("--demos", type=int, default=16)
    ap.add_argument("--ic-repeats", type=int, default=2, help="repeats of the in-context half (each a pass over "
                                                              "the test items per source)")
    ap.add_argument("--smoke", action="store_true", help="tiny: the same code paths in seconds")
    args = ap.parse_args()
    if args.smoke or os.environ.get("BENCH_SMOKE") == "1":
        args.train, args.test, args.repeats, args.seeds = 12, 8, 1, 1
        args.icm_n, args.icm_iterations, args.demos, args.ic_repeats = 8, 1, 2, 1
        args.in_context = True  # the in-context half too, at this size: its code path stays alive

    from elicitation import load_backend
    from elicitation.training import FeatureStore, compute_features, fit_probe

    began = time.monotonic()
    rows = sst2_rows()
    random.Random(args.seed).shuffle(rows)
    if args.train + args.test > len(rows):
        raise SystemExit(f"--train + --test must be at most {len(rows)}")
    train, test = rows[:args.train], rows[args.train:args.train + args.test]
    train_prompts = [TEMPLATE.format(sentence=s) for s, _ in train]
    test_prompts = [TEMPLATE.format(sentence=s) for s, _ in test]
    gold = np.array([y for _, y in train])
    test_gold = np.array([y for _, y in test])

    import torch

    backend = load_backend("smollm2", device="cpu")
    print(f"SST-2 dev: {len(train)} train / {len(test)} test items ({int(test_gold.sum())} positive), torch threads "
          f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} (timings contended when above 1)",
          flush=True)

    with tempfile.TemporaryDirectory(prefix="trained-features-") as root:
        store = FeatureStore(root)
        t0, c0 = time.monotonic(), time.process_time()
        X_all = compute_features(backend, train_prompts + test_prompts, store)
        features_wall, features_s = time.monotonic() - t0, time.process_time() - c0
        again = compute_features(backend, train_prompts + test_prompts, store)
        assert store.misses == len(set(train_prompts + test_prompts)) and np.array_equal(again, X_all)
    X, X_test = X_all[:len(train)], X_all[len(train):]
    per_100 = 100 * features_s / len(X_all)
    print(f"features: {len(X_all)} prompts in {features_s:.1f} CPU s ({per_100:.1f} CPU s per 100; "
          f"{features_wall:.0f} s wall), dimension "
          f"{X_all.shape[1]}; a second pass read all {len(X_all)} from the store", flush=True)

    zs_train = lm_head_log_odds(backend, X)
    zs_test = lm_head_log_odds(backend, X_test)
    zero_shot_labels = zs_train - zs_train.mean() > 0
    zero_shot_reference = float(np.mean((zs_test - zs_test.mean() > 0) == test_gold))

    t0 = time.monotonic()
    icm_labels, icm_info = run_icm_labels(backend, train_prompts[:args.icm_n], args)
    icm_info["seconds"] = round(time.monotonic() - t0, 1)
    icm_labels = np.array(icm_labels)
    icm_right = float(np.mean(icm_labels == gold[:args.icm_n]))
    print(f"ICM over the first {args.icm_n} train items: {icm_info}; its labels agree with gold on "
          f"{icm_right:.3f} (zero-shot labels: {np.mean(zero_shot_labels[:args.icm_n] == gold[:args.icm_n]):.3f})",
          flush=True)

    def simulated(p, s):
        rng = np.random.default_rng(1000 * s + int(100 * p))
        return np.where(rng.random(len(gold)) < p, gold, ~gold)

    seeds = range(args.seeds)
    sources = {  # name → (list of labelings over the train items, how many leading train items it covers)
        "gold": ([gold], args.train),
        "random": ([np.random.default_rng(500 + s).random(len(gold)) < 0.5 for s in seeds], args.train),
        **{f"sim{int(100 * p)}": ([simulated(p, s) for s in seeds], args.train) for p in (0.6, 0.7, 0.8, 0.9)},
        "zero_shot": ([zero_shot_labels], args.train),
        "icm": ([icm_labels], args.icm_n),
        "gold_icm_subset": ([gold[:args.icm_n]], args.icm_n),
    }
    results, fit_seconds = {}, []
    for name, (labelings, covered) in sources.items():
        correct, per_repeat = [], []
        for r in range(args.repeats):
            rng = np.random.default_rng(10_000 + r)  # the same subsample for every source covering these items
            take = np.sort(rng.choice(covered, size=max(4, int(round(args.fraction * covered))), replace=False))
            accs = []
            for labels in labelings:
                t0 = time.monotonic()
                probe = fit_probe(X[take], list(labels[take]), seed=r)
                fit_seconds.append(time.monotonic() - t0)
                right = probe.predict(X_test) == test_gold
                correct.append(right)
                accs.append(right.mean())
            per_repeat.append(float(np.mean(accs)))
        correct = np.array(correct, dtype=float)
        lo, hi = interval(correct)
        results[name] = {"acc": float(correct.mean()), "lo": lo, "hi": hi, "sd": float(np.std(per_repeat, ddof=1))
                         if len(per_repeat) > 1 else 0.0, "runs": len(correct), "n_train": len(take)}
    print(f"\nprobe on each source's labels, accuracy on {len(test)} test items (95% interval: bootstrap over test "
          f"items; sd over {args.repeats} repeats of a seeded {args.fraction:.0%} subsample; simulated sources and "
          f"random averaged over {args.seeds} seeds):")
    for name, r in results.items():
        print(f"  {name:16s} {100 * r['acc']:5.1f}%  [{100 * r['lo']:.1f}, {100 * r['hi']:.1f}]  sd {100 * r['sd']:.1f}"
              f"  n={len(test)} test items × {r['runs']} runs, {r['n_train']} train items per run", flush=True)
    print(f"  untrained zero-shot reference (centered): {100 * zero_shot_reference:.1f}% on the same {len(test)} "
          f"items")
    gap = results["gold"]["acc"] - results["random"]["acc"]
    disjoint = results["gold"]["lo"] > results["random"]["hi"]
    order = results["sim60"]["acc"] < results["sim90"]["acc"] < results["gold"]["acc"]
    print(f"gold − random = {100 * gap:.1f} points, intervals {'disjoint' if disjoint else 'OVERLAP'}; "
          f"sim60 < sim90 < gold: {order}")
    print(f"costs: features {features_s:.1f} CPU s once ({per_100:.1f} CPU s per 100 prompts), probe fit "
          f"{np.mean(fit_seconds):.2f} s on average ({len(fit_seconds)} fits), ICM {icm_info['seconds']} s",
          flush=True)

    ic = {}
    if args.in_context:
        ic = in_context_half(backend, args, train_prompts, {"gold": gold, "random": sources["random"][0][0],
                                                            "icm": icm_labels}, test_prompts, test_gold)

    total = time.monotonic() - began
    print(f"this process: {time.process_time():.0f} CPU s over {total:.0f} s wall (load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"trained_conditions gold={100 * results['gold']['acc']:.1f} random={100 * results['random']['acc']:.1f} "
          f"sim60={100 * results['sim60']['acc']:.1f} sim90={100 * results['sim90']['acc']:.1f} "
          f"icm={100 * results['icm']['acc']:.1f} zero_shot={100 * results['zero_shot']['acc']:.1f} "
          f"features_s_per_100={per_100:.1f} total_s={total:.0f}"
          + "".join(f" ic_{name}={100 * r['acc']:.1f}" for name, r in ic.items())
          + (f" ic_zero_shot={100 * zero_shot_reference:.1f} ic_demos={args.demos} ic_repeats={args.ic_repeats}"
             f" ic_cpu_s={sum(r['cpu_s'] for r in ic.values()):.0f}" if ic else ""))


if __name__ == "__main__":
    main()
