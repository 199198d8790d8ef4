"""Closing measurement of the fast-scoring issue: a seeded `folds` run on 128 balanced SST-2 dev sentences
with the bundled model on the CPU — its accuracy, label balance, time and tokens — and zero-shot accuracy on
the same examples. Gold labels are read here only to measure; the engine never sees them.

    ICM_TORCH_THREADS=2 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/sst2_128_folds.py \\
        --iterations 150 [--seed 0] [--json out.json]

(It takes up to half an hour and is run by hand; tests/engine/test_sst2_sample.py checks its sample.)
Needs `make install` only. The last line:
    sst2_128_folds n=128 iterations=I labeled=L accuracy=A zero_shot_center=Z tokens=T seconds=S
(accuracy over all n, an unlabeled example counting as wrong). --smoke (or BENCH_SMOKE=1): n=4, 2 folds, 2 iterations.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._support import smoke, sst2  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--placement", default="stable", help="fold placement: stable, arrival or recent-last")
    ap.add_argument("--calibrate", default="center")
    ap.add_argument("--time-limit", type=float, default=29 * 60,
                    help="stop the search after this many seconds (the run then reports stopped)")
    ap.add_argument("--json", default=None)
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, n=4, iterations=2, folds=2)

    import os

    import torch

    from elicitation import ICMConfig, baselines, load_backend, run_icm

    problem, gold = sst2.problem(args.n)
    backend = load_backend("smollm2", device="cpu")
    report = {"n": args.n, "seed": args.seed, "iterations": args.iterations, "folds": args.folds,
              "calibrate": args.calibrate, "torch_threads": torch.get_num_threads(),
              "load_average": os.getloadavg()[0], "gold_balance": sum(gold.values()) / len(gold)}
    print(f"{args.n} SST-2 sentences ({sum(gold.values())} positive), torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    zero_shot_labels = {}
    for calibrate in ("none", "center"):
        began = time.monotonic()
        zs = baselines.zero_shot(problem, backend, ICMConfig(calibrate=calibrate))
        zero_shot_labels[calibrate] = zs.labels
        acc = sst2.accuracy(zs.labels, gold)
        report[f"zero_shot_{calibrate}"] = {"accuracy": acc, "label_counts": zs.summary["label_counts"],
                                            "seconds": round(time.monotonic() - began, 1)}
        print(f"zero-shot (calibrate {calibrate}): accuracy {acc:.3f}  labels {zs.summary['label_counts']}",
              flush=True)

    config = ICMConfig(scoring="folds", folds=args.folds, fold_placement=args.placement, seed=args.seed,
                       iterations=args.iterations, calibrate=args.calibrate)
    began = time.monotonic()
    last = {"t": began}
    # proposals and acceptances, for a label on an unlabeled example ("new") and a change of a label ("change")
    kinds = {"new": [0, 0], "change": [0, 0]}
    labeled_ids: set = set()

    def on_event(ev: dict) -> None:
        if ev["iteration"] == 0:
            labeled_ids.update(ev["labels"])
        elif ev["proposed_energy"] is not None:
            kind = kinds["change" if ev["example"] in labeled_ids else "new"]
            kind[0] += 1
            kind[1] += ev["accepted"]
            labeled_ids.update(ev["changes"])
        now = time.monotonic()
        if now - last["t"] >= 60 or ev["iteration"] in (0, args.iterations):
            last["t"] = now
            print(f"  {now - began:6.0f}s iteration {ev['iteration']:4d}  labeled {ev['labeled_count']:3d} "
                  f"{ev['label_counts']}  U {ev['energy']:.2f}  tokens {ev['tokens']:,}", flush=True)

    result = run_icm(problem, config, backend, on_event=on_event,
                     should_stop=lambda: time.monotonic() - began > args.time_limit)
    seconds = time.monotonic() - began
    s = result.summary
    labeled = {k: y for k, y in result.labels.items() if y is not None}
    report["icm"] = {
        "finished": not result.stopped, "seconds": round(seconds, 1), "iterations": s["iterations"],
        "accepted": s["accepted"], "proposals": s["proposals"], "tokens": s["tokens"],
        "label_counts": s["label_counts"], "true_share": s["true_share"], "degenerate": s["degenerate"],
        "accuracy_all": sst2.accuracy(result.labels, gold),
        "accuracy_labeled": (sum(gold[k] == y for k, y in labeled.items()) / len(labeled)) if labeled else None,
        "scoring_settings": s["scoring_settings"],
        "proposals_by_kind": {k: {"proposed": v[0], "accepted": v[1]} for k, v in kinds.items()},
        # the same measure for zero-shot, on the examples ICM labeled
        "zero_shot_center_accuracy_on_those": (sum(gold[k] == zero_shot_labels["center"][k] for k in labeled)
                                               / len(labeled)) if labeled else None,
        "labels": {str(k): y for k, y in result.labels.items()},
    }
    icm = report["icm"]
    print(f"ICM folds seed {args.seed}: {'finished' if icm['finished'] else 'STOPPED'} in {seconds / 60:.1f} min, "
          f"{icm['iterations']} iterations, accepted {icm['accepted']} of {icm['proposals']} proposals, "
          f"{icm['tokens']:,} tokens; new labels accepted {kinds['new'][1]} of {kinds['new'][0]}, "
          f"changes accepted {kinds['change'][1]} of {kinds['change'][0]}", flush=True)
    print(f"  labels {icm['label_counts']}  accuracy {icm['accuracy_all']:.3f} over all {args.n} "
          f"(unlabeled count as wrong), {icm['accuracy_labeled']} over the {len(labeled)} labeled ones "
          f"(zero-shot on those: {icm['zero_shot_center_accuracy_on_those']})", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    print(f"sst2_128_folds n={args.n} iterations={icm['iterations']} labeled={len(labeled)} "
          f"accuracy={icm['accuracy_all']:.3f} zero_shot_center={report['zero_shot_center']['accuracy']:.3f} "
          f"tokens={icm['tokens']} seconds={seconds:.0f}")


if __name__ == "__main__":
    main()
