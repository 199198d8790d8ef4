"""Closing measurement of the paired comparison (issue 14), with the bundled model (SmolLM2-135M) on this CPU:
an ICM run over 64 SST-2 sentences (the train split here), then one evaluation over 200 other SST-2 sentences
(the test split) with 3 repeats: zero-shot, zero-shot chat, random labels, the ICM run's labels and gold labels,
the same demonstration ids for every many-shot condition in a repeat. Prints each condition's mean ± sd with its
95% interval and n, the verdict sentence and the paired comparisons. No people label here: the people's condition
is absent, so the verdict compares ICM's labels with zero-shot prompting.

Both the run and the evaluation execute in this process, through the studio's services (the worker's code path
without Celery). Gold is read only to measure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_studio HF_HUB_OFFLINE=1 ICM_TORCH_THREADS=1 \\
        .venv/bin/python benchmarks/sst2_paired_evaluation.py [--iterations 96] [--json out.json]

ICM_TORCH_THREADS=1 when anything else computes on the machine: two processes each running torch on both cores
ran 8x slower here (16 iterations: 830 s against 103 s with one thread). About 15 minutes with 16 iterations.

Creates and drops its own database (name + _paired_bench; the base database need not exist); uses Redis database 11
(BENCH_REDIS_URL overrides) for the run's (unused) tasks. Needs `make install` only. The last line:
    sst2_paired_evaluation train=64 test=200 repeats=3 elicited=E agree_with_gold=G <condition>_accuracy=A ...
    run_s=R eval_s=V
(one mean accuracy per condition). --smoke (or BENCH_SMOKE=1): 4 train, 4 test sentences, 1 iteration, 1 repeat.
"""
import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchmarks._support import smoke  # noqa: E402


def make_dataset(n_train: int, n_test: int, seed: int):
    from studio.models import Dataset, Example, GoldLabel
    from benchmarks._support import sst2

    chosen = sst2.balanced(n_train + n_test)
    random.Random(seed).shuffle(chosen)
    ds = Dataset.objects.create(name="SST-2 paired", slug="sst2-paired", preset="sst2", task_type=Dataset.TaskType.TEXT,
                                prompt_template=sst2.TEMPLATE, display_fields=["sentence"],
                                source="GLUE SST-2 dev (validation)")
    for position, (sentence, label) in enumerate(chosen):
        ex = Example.objects.create(dataset=ds, external_id=f"dev-{position}",
                                    split="train" if position < n_train else "test", position=position,
                                    fields={"sentence": sentence}, prompt=sst2.TEMPLATE.format(sentence=sentence))
        GoldLabel.objects.create(example=ex, label=label)
    return ds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=64)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--iterations", type=int, default=96)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, train=4, test=4, iterations=1, repeats=1)

    from benchmarks._support.scratch_db import scratch_database

    with scratch_database("paired_bench"):
        out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    ev = out["evaluation"]
    accuracies = " ".join(f"{(c.get('kind') or c['key']).replace('-', '_')}_accuracy={c['mean']:.3f}"
                          for c in ev["conditions"] if c.get("mean") is not None)
    print(f"sst2_paired_evaluation train={args.train} test={ev['n_test']} repeats={len(ev['repeats'])} "
          f"elicited={out['run']['elicited']} agree_with_gold={out['run']['agree_with_gold']} {accuracies} "
          f"run_s={out['run']['seconds']} eval_s={out['seconds']}")


def run(args) -> dict:
    from studio.models import ElicitationRun, ElicitedLabel, GoldLabel
    from studio.services import engine_port, evaluation, runs
    from studio.services.runs.execution import execute_batch

    ds = make_dataset(args.train, args.test, args.seed)
    started = time.monotonic()
    run = runs.start_run(ds, user=None, split="train", config={"iterations": args.iterations, "seed": args.seed})
    for batch in run.batches.order_by("index"):
        execute_batch(batch.pk, task_id=batch.celery_task_id, get_backend=engine_port.get_backend, worker="bench")
    run.refresh_from_db()
    run_seconds = time.monotonic() - started
    assert run.state == ElicitationRun.State.COMPLETED, (run.state, run.error)
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    labels = list(ElicitedLabel.objects.filter(run=run).values_list("example_id", "label", "kind"))
    elicited = [(i, y) for i, y, k in labels if k == "elicited"]
    right = sum(1 for i, y in elicited if y == gold[i])
    print(f"ICM run {run.pk}: {len(elicited)} of {len(labels)} train sentences elicited, {right} agree with gold "
          f"({run.iteration} iterations, {run_seconds:.0f} s)", flush=True)

    started = time.monotonic()
    ev = evaluation.start_evaluation(ds, options={"repeats": args.repeats, "max_test": args.test, "seed": args.seed},
                                     enqueue=False)
    ev = evaluation.execute_evaluation(ev.pk)
    eval_seconds = time.monotonic() - started
    assert ev.state == "completed", ev.error
    res = ev.results
    print(f"evaluation {ev.pk}: {res['n_test']} test sentences, {len(res['repeats'])} repeats, demonstrations per "
          f"repeat {[r['n_demos'] for r in res['repeats']]}, calibration {ev.config['calibrate']}, {eval_seconds:.0f} s")
    for c in res["conditions"]:
        sd = f" ± {100 * c['sd']:.1f}" if c["sd"] is not None else ""
        reps = ", ".join(f"{100 * r['accuracy']:.1f}" for r in c["per_repeat"])
        print(f"  {c['name']:<22} {100 * c['mean']:5.1f}{sd}  95% CI [{100 * c['ci_low']:.1f}, "
              f"{100 * c['ci_high']:.1f}]  n={c['n']}  per repeat: {reps}")
    print("verdict:", res["verdict"])
    for cmp in res["comparisons"]:
        print("  ", cmp["sentence"])
    for s in res.get("skipped", []):
        print("  skipped:", s)
    return {"run": {"id": run.pk, "elicited": len(elicited), "agree_with_gold": right, "iterations": run.iteration,
                    "seconds": round(run_seconds)},
            "evaluation": {k: res[k] for k in ("n_test", "repeats", "conditions", "comparisons", "verdict",
                                               "gap_recovered", "skipped")},
            "seconds": round(eval_seconds)}


if __name__ == "__main__":
    main()
