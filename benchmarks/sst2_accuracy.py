"""Closing measurement of the engine issue: on n balanced SST-2 dev sentences, zero-shot accuracy and ICM
accuracy with calibrate none and center, for several seeds, on the bundled model. Gold labels are read here,
only to measure; the engine never sees them.

    .venv/bin/python benchmarks/sst2_accuracy.py --n 16 --seeds 0 1 2 --iterations 100 [--json out.json]

Needs `make install` only. The last line:
    sst2_accuracy n=16 seeds=3 zero_shot_none=Z1 zero_shot_center=Z2 icm_none=A1 icm_center=A2
(ICM's mean accuracy over the seeds). --smoke (or BENCH_SMOKE=1): n=4, seed 0, 2 iterations.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elicitation import ICMConfig, baselines, load_backend, run_icm  # noqa: E402
from benchmarks._support import smoke, sst2  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", default=None)
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, n=4, seeds=[0], iterations=2)

    problem, gold = sst2.problem(args.n)
    backend = load_backend(args.model, device=args.device)
    report = {"n": args.n, "iterations": args.iterations, "model": args.model, "runs": []}

    for calibrate in ("none", "center"):
        zs = baselines.zero_shot(problem, backend, ICMConfig(calibrate=calibrate))
        acc = sst2.accuracy(zs.labels, gold)
        report[f"zero_shot_{calibrate}"] = {"accuracy": acc, "label_counts": zs.summary["label_counts"]}
        print(f"zero-shot (calibrate {calibrate}): accuracy {acc:.3f}  labels {zs.summary['label_counts']}",
              flush=True)

    for seed in args.seeds:
        for calibrate in ("none", "center"):
            config = ICMConfig(seed=seed, iterations=args.iterations, calibrate=calibrate)
            began = time.monotonic()
            result = run_icm(problem, config, backend)
            s = result.summary
            row = {"seed": seed, "calibrate": calibrate, "accuracy": sst2.accuracy(result.labels, gold),
                   "label_counts": s["label_counts"], "degenerate": s["degenerate"], "energy": s["energy"],
                   "accepted": s["accepted"], "proposals": s["proposals"], "tokens": s["tokens"],
                   "seconds": round(time.monotonic() - began, 1)}
            report["runs"].append(row)
            print(f"ICM seed {seed} calibrate {calibrate:6s}: accuracy {row['accuracy']:.3f}  labels "
                  f"{s['label_counts']}  degenerate {s['degenerate']}  U {s['energy']:.2f}  accepted "
                  f"{s['accepted']}/{s['proposals']}  tokens {s['tokens']:,}  {row['seconds']}s", flush=True)

    means = {}
    for calibrate in ("none", "center"):
        accs = [r["accuracy"] for r in report["runs"] if r["calibrate"] == calibrate]
        means[calibrate] = sum(accs) / len(accs)
        print(f"ICM calibrate {calibrate}: mean accuracy {means[calibrate]:.3f} over seeds {args.seeds}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    print(f"sst2_accuracy n={args.n} seeds={len(args.seeds)} zero_shot_none={report['zero_shot_none']['accuracy']:.3f} "
          f"zero_shot_center={report['zero_shot_center']['accuracy']:.3f} icm_none={means['none']:.3f} "
          f"icm_center={means['center']:.3f}")


if __name__ == "__main__":
    main()
