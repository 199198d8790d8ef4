"""Closing measurement of blind adjudication (issue 23), with the bundled model (SmolLM2-135M) on this CPU: a real
ICM run over N SST-2 dev sentences, SIMULATED people (three simulated annotators per sentence, each right with
probability 0.7, seeded: SST-2 has no individual human labels), then one adjudication of the run against the
people's majority, answered by a SIMULATED expert who gives the gold label. Prints the sources, N, |D|, the
adjudications, the estimate with its 95% interval and each source's stratified accuracy, and gold's answer
beside it; then, on the same labels without the database, how often 200 seeded adjudications' intervals cover
gold's difference. Gold is read only by the simulated expert and to measure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_studio HF_HUB_OFFLINE=1 ICM_TORCH_THREADS=1 \\
        .venv/bin/python benchmarks/adjudication_sst2.py [--n 64] [--iterations 16] [--budget 40] [--smoke]

--smoke (or BENCH_SMOKE=1): 8 sentences, 2 iterations, a budget of 6 — the same code paths, a few minutes here
(the model load dominates).
Creates and drops its own database (name + _adjudication_bench); Redis database 11 for the run's unused tasks.
Last line: `adjudication_sst2 key=value ...`.
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

DEV_TSV = ROOT / "studio" / "presets" / "sst2" / "dev.tsv"
TEMPLATE = "Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\nI think this claim is "


def sentences(n: int, seed: int) -> list[tuple[str, bool]]:
    rows = [line.split("\t") for line in DEV_TSV.read_text(encoding="utf-8").splitlines()[1:]]
    rows = [(s.rstrip(" "), y == "1") for s, y in rows]
    pos, neg = [r for r in rows if r[1]][: n // 2], [r for r in rows if not r[1]][: n - n // 2]
    chosen = pos + neg
    random.Random(seed).shuffle(chosen)
    return chosen


def run(args) -> dict:
    from django.contrib.auth import get_user_model

    from studio.models import Dataset, ElicitationRun, Example, GoldLabel, HumanLabel, Membership
    from studio.services import adjudication, engine_port, runs, tallies
    from studio.services.adjudication import estimate, sampling
    from studio.services.adjudication.opening import source_labels
    from studio.services.review import find_source
    from studio.services.runs.execution import execute_batch

    ds = Dataset.objects.create(name="SST-2 adjudication", slug="sst2-adjudication", preset="sst2",
                                task_type=Dataset.TaskType.TEXT, prompt_template=TEMPLATE, display_fields=["sentence"],
                                question="Is the sentiment of this sentence positive?")
    gold = {}
    for position, (sentence, label) in enumerate(sentences(args.n, args.seed)):
        ex = Example.objects.create(dataset=ds, external_id=f"dev-{position}", split="train", position=position,
                                    fields={"sentence": sentence}, prompt=TEMPLATE.format(sentence=sentence))
        GoldLabel.objects.create(example=ex, label=label)
        gold[ex.pk] = label
    User = get_user_model()
    people = [User.objects.create(username=f"simulated-annotator-{i}") for i in range(3)]
    rng = random.Random(args.seed + 1)
    HumanLabel.objects.bulk_create(HumanLabel(example_id=pk, annotator=u, label=y if rng.random() < 0.7 else not y)
                                   for pk, y in gold.items() for u in people)
    tallies.rebuild(ds)

    started = time.monotonic()
    icm = runs.start_run(ds, user=None, split="train", config={"iterations": args.iterations, "seed": args.seed})
    for batch in icm.batches.order_by("index"):
        execute_batch(batch.pk, task_id=batch.celery_task_id, get_backend=engine_port.get_backend, worker="bench")
    icm.refresh_from_db()
    assert icm.state == ElicitationRun.State.COMPLETED, (icm.state, icm.error)
    run_seconds = time.monotonic() - started

    expert = User.objects.create(username="simulated-expert")
    Membership.objects.create(user=expert, dataset=ds, role=Membership.Role.ADJUDICATOR)
    adj = adjudication.open_adjudication(ds, {"split": "train", "source_a": f"run:{icm.pk}", "source_b": "people",
                                              "budget": args.budget, "seed": args.seed})
    while (got := adjudication.next_item(adj, expert))["item"] is not None:  # the simulated expert answers gold
        example_id = adj.items.get(pk=got["item"]).example_id
        adjudication.record(adj, expert, got["item"], gold[example_id])
    res = adjudication.result(adj)
    d, g = res["difference"], res["gold"]
    print(f"sources: A = {adj.name_a} (SmolLM2-135M, {icm.iteration} iterations, {run_seconds:.0f} s, contended CPU); "
          f"B = people's majority of 3 simulated annotators (each right with p = 0.7)")
    print(f"N = {adj.n_items} sentences both label, |D| = {adj.n_disagree}; {res['adjudicated']} adjudicated by a "
          f"simulated expert who answers gold ({res['counts']['d_adjudicated']} disagreements, "
          f"{res['counts']['g_adjudicated']} agreements)")
    print("estimate:", res["verdict"])
    for k, name in (("a", adj.name_a), ("b", adj.name_b)):
        a = res["accuracy"][k]
        print(f"  {name}: {100 * a['estimate']:.1f}% (95% [{100 * a['ci_low']:.1f}, {100 * a['ci_high']:.1f}])"
              if a["estimate"] is not None else f"  {name}: unknown yet")
    print(f"gold beside it: {adj.name_a} {100 * g['accuracy_a']:.1f}%, {adj.name_b} {100 * g['accuracy_b']:.1f}%, "
          f"difference {100 * g['difference']:+.1f} points (n = {g['n']})")

    # the same labels, 200 seeded adjudications in memory (the simulated expert answers gold)
    a_src, b_src = find_source(ds, "train", adj.source_a), find_source(ds, "train", adj.source_b)
    rows = source_labels(ds, "train", a_src, b_src)
    dis = [pk for pk, x, y in rows if x != y]
    agr = [pk for pk, x, y in rows if x == y]
    lab = {pk: x for pk, x, _ in rows}
    covered, points = 0, []
    for seed in range(200):
        draws = sampling.draw(dis, agr, args.budget, 0.8, seed=seed)
        dd = [x.example_id for x in draws if x.stratum == sampling.DISAGREE]
        gg = [x.example_id for x in draws if x.stratum == sampling.AGREE]
        c = estimate.Counts(len(rows), len(dis), sum(lab[i] == gold[i] for i in dd), len(dd),
                            sum(lab[i] == gold[i] for i in gg), len(gg))
        diff = estimate.difference(c)
        covered += diff["ci_low"] <= g["difference"] <= diff["ci_high"]
        points.append(diff["estimate"])
    mean = sum(points) / len(points)
    print(f"200 seeded adjudications of {args.budget}: the 95% interval covered gold's difference in {covered}/200; "
          f"mean estimate {100 * mean:+.1f} points (gold {100 * g['difference']:+.1f})")
    return {"n": adj.n_items, "disagree": adj.n_disagree, "adjudicated": res["adjudicated"],
            "estimate": round(100 * d["estimate"], 1), "ci_low": round(100 * d["ci_low"], 1),
            "ci_high": round(100 * d["ci_high"], 1), "gold": round(100 * g["difference"], 1),
            "coverage": covered / 200, "mean_estimate": round(100 * mean, 2), "run_seconds": round(run_seconds)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=16)
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke or os.environ.get("BENCH_SMOKE") == "1":
        args.n, args.iterations, args.budget = 8, 2, 6

    from benchmarks._support.scratch_db import scratch_database

    with scratch_database("adjudication_bench"):
        out = run(args)
    print("adjudication_sst2 " + " ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
