"""Closing measurement of the whole-split issue, with the bundled model (SmolLM2-135M) on this CPU: one studio
run over 128 balanced SST-2 validation sentences in 4 batches of 32 on 2 real worker processes (PostgreSQL,
Redis, `celery worker`), then the same run again with one worker SIGKILLed mid-batch and a fresh worker
started after Redis's visibility timeout. It reports whether every example got a label (elicited or filled),
whether the killed run ended with identical labels, and accuracy against gold of the elicited and the filled
labels apart (Wilson 95% intervals, n) beside zero-shot on the same sentences (computed in this process with
the engine's baseline). Gold is read only to measure; neither the engine nor the workers' search see it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_studio REDIS_URL=redis://127.0.0.1:6379/0 \\
        HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/batched_sst2_128.py [--iterations 140] [--json out.json]

Run by hand (about half an hour on 2 cores). Creates and drops its own database (name + _sst2_128_bench) and
uses Redis database 10 (BENCH_REDIS_URL overrides). Needs `make install` only. The last line:
    batched_sst2_128 n=128 batches=B elicited=E filled=F unlabeled=U identical_after_kill=1 accuracy=A
    zero_shot_accuracy=Z uninterrupted_s=S killed_s=K
(accuracy: all the run's labels against gold; zero-shot with calibrate center on the same sentences.)
--smoke (or BENCH_SMOKE=1): 8 sentences in 2 batches of 4, 8 iterations, a checkpoint every iteration and a
4-second visibility timeout; the same two runs and the kill, but the workers' model is the STAND-IN of
benchmarks/standin_worker.py (a sleep per token, no language model: five workers each loading the real model
would take minutes of CPU); zero-shot still runs the bundled model in this process.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchmarks._support import smoke  # noqa: E402

VISIBILITY = 10  # seconds, for the workers started here (--smoke: 4)
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY), "RUN_HEARTBEAT_SECONDS": "1", "ICM_TORCH_THREADS": "1",
              "OMP_NUM_THREADS": "1"}
WORKER_APP = "studio"  # --smoke: benchmarks.standin_worker


def make_dataset(n: int):
    from studio.models import Dataset, Example, GoldLabel
    from benchmarks._support import sst2

    ds = Dataset.objects.create(name="SST-2 validation 128", slug="sst2-validation-128", preset="sst2",
                                task_type=Dataset.TaskType.TEXT, prompt_template=sst2.TEMPLATE,
                                display_fields=["sentence"], source="GLUE SST-2 dev (validation)")
    for position, (sentence, label) in enumerate(sst2.balanced(n)):
        ex = Example.objects.create(dataset=ds, external_id=f"dev-{position}", split="validation",
                                    position=position, fields={"sentence": sentence},
                                    prompt=sst2.TEMPLATE.format(sentence=sentence))
        GoldLabel.objects.create(example=ex, label=label)
    return ds


def wait(predicate, timeout, what, poll=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise SystemExit(f"timed out waiting for {what}")


def finished(run):
    from studio.models import ElicitationRun

    run.refresh_from_db()
    return run.state in ElicitationRun.FINISHED_STATES


def labels_of(run):
    from studio.models import ElicitedLabel

    return {pk: (label, kind) for pk, label, kind in
            ElicitedLabel.objects.filter(run=run).values_list("example_id", "label", "kind")}


def one_run(ds, user, config, logs: Path, tag: str, kill: bool, timeout: float, batch_size: int = 32):
    from studio.models import ElicitationRun
    from studio.services import runs
    from benchmarks._support.workers import Worker, purge_broker, start_all

    purge_broker()
    db = connection.settings_dict["NAME"]
    workers = start_all([Worker(f"{tag}-{i}", db, logs, WORKER_ENV, app=WORKER_APP) for i in range(2)], timeout=300)
    began = time.monotonic()
    try:
        run = runs.start_run(ds, user=user, split="validation", batch_size=batch_size, config=config)
        note = ""
        killed = None
        if kill:
            by_pid = {f":{w.proc.pid}": w for w in workers}
            every = config.get("checkpoint_every", 10)
            # past its first checkpoint, by two iterations where checkpoints are sparser (a resume replays them)
            first = every + min(2, every - 1)

            def mid_search():
                # Any batch a worker of ours is searching, past that iteration and not at its last. Polled often:
                # the scorer remembers query results (issue 24), so once a small batch has seen every neighbour
                # of its labeling its iterations cost no model call and run in milliseconds (the smoke size's
                # batches of 4 do so from iteration 3 on; the kill used to wait for iteration 3 and missed it).
                for b in run.batches.filter(state="running", iteration__gte=first,
                                            iteration__lt=config["iterations"]).exclude(checkpoint=None):
                    victim = next((w for pid, w in by_pid.items() if b.worker.endswith(pid)), None)
                    if victim is not None:
                        return b, victim
                return None

            killed, victim = wait(mid_search, timeout, "a batch mid-search past its first checkpoint", poll=0.05)
            victim.kill()
            killed.refresh_from_db()
            note = f"killed worker {victim.name} in batch {killed.index} at iteration {killed.iteration}"
            print(f"  {tag}: {note}", flush=True)
            time.sleep(VISIBILITY + 2)
            workers.append(Worker(f"{tag}-replacement", db, logs, WORKER_ENV, app=WORKER_APP).start(timeout=300))
        wait(lambda: finished(run), timeout, f"run {tag} to finish")
        seconds = time.monotonic() - began
        if run.state != ElicitationRun.State.COMPLETED:
            raise SystemExit(f"run {tag} ended {run.state}: {run.error}")
        if killed is not None:
            killed.refresh_from_db()
            if killed.attempts < 2:  # the batch ended between the poll and the kill: nothing was resumed
                raise SystemExit(f"run {tag}: batch {killed.index} finished before its worker was killed, so "
                                 f"nothing was resumed; run again (or with more --iterations)")
        batches = [(b.index, b.example_count, b.unlabeled_after_search, b.filled_count, b.attempts, b.iteration)
                   for b in run.batches.all()]
        print(f"  {tag}: completed in {seconds / 60:.1f} min; batches (index, examples, unlabeled after search, "
              f"filled, attempts, iterations): {batches}", flush=True)
        return run, seconds, note
    finally:
        for w in workers:
            w.stop()
        purge_broker()


def zero_shot(ds):
    from elicitation import Example, ICMConfig, Problem, baselines, load_backend
    from studio.models import GoldLabel

    examples = list(ds.examples.order_by("position").values_list("pk", "prompt"))
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
    problem = Problem([Example(str(pk), prompt) for pk, prompt in examples])
    backend = load_backend("smollm2", device="cpu")
    out = {}
    for calibrate in ("none", "center"):
        labels = baselines.zero_shot(problem, backend, ICMConfig(calibrate=calibrate)).labels
        out[calibrate] = {pk: (labels[str(pk)], gold[pk]) for pk, _ in examples}
    return out


def accuracy(rows):
    from studio.services.metrics import wilson_interval

    correct = sum(1 for y, g in rows if y == g)
    low, high = wilson_interval(correct, len(rows))
    return {"correct": correct, "n": len(rows), "accuracy": correct / len(rows) if rows else None,
            "low": low, "high": high}


def fmt(a):
    if not a["n"]:
        return "n=0"
    return f"{a['accuracy']:.3f} [{a['low']:.3f}, {a['high']:.3f}] (n={a['n']})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=140)
    ap.add_argument("--scoring", default="folds")
    ap.add_argument("--timeout", type=float, default=50 * 60)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--checkpoint-every", type=int, default=None,
                    help="the run's checkpoint_every (default: the studio's)")
    ap.add_argument("--json", default=None)
    smoke.add_flag(ap)
    args = ap.parse_args()
    if smoke.apply(ap, args, n=8, batch_size=4, iterations=8, checkpoint_every=1, timeout=300):
        global VISIBILITY, WORKER_APP
        VISIBILITY, WORKER_APP = 4, "benchmarks.standin_worker"
        WORKER_ENV.update({"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY), "BENCH_SECONDS_PER_TOKEN": "0.002"})
    if connection.vendor != "postgresql":
        raise SystemExit("needs DATABASE_URL=postgres://... and Redis (the real stack)")
    from benchmarks._support.scratch_db import scratch_database

    with scratch_database("sst2_128_bench"):
        report = {}
        from django.contrib.auth import get_user_model

        from studio.models import GoldLabel

        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
        ds = make_dataset(args.n)
        config = {"iterations": args.iterations, "scoring": args.scoring}
        if args.checkpoint_every:
            config["checkpoint_every"] = args.checkpoint_every
        with tempfile.TemporaryDirectory() as logs:
            first, first_s, _ = one_run(ds, user, config, Path(logs), "uninterrupted", False, args.timeout,
                                        args.batch_size)
            # a second run of the same configuration may start once the first has finished
            second, second_s, note = one_run(ds, user, config, Path(logs), "killed", True, args.timeout,
                                             args.batch_size)
        a, b = labels_of(first), labels_of(second)
        gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example_id", "label"))
        kinds = {k: sum(1 for _, kind in a.values() if kind == k) for k in ("elicited", "filled", "unlabeled")}
        acc = {kind: accuracy([(y, gold[pk]) for pk, (y, k) in a.items() if k == kind])
               for kind in ("elicited", "filled")}
        acc["all"] = accuracy([(y, gold[pk]) for pk, (y, k) in a.items() if y is not None])
        zero = zero_shot(ds)
        zs = {c: accuracy(list(rows.values())) for c, rows in zero.items()}
        elicited_ids = {pk for pk, (_, k) in a.items() if k == "elicited"}
        # zero-shot on the examples the search itself labeled, for a like-for-like view
        zs_elicited = {c: accuracy([rows[pk] for pk in elicited_ids]) for c, rows in zero.items()}
        report = {"n": args.n, "config": first.config, "batches": first.batches.count(),
                  "seconds": {"uninterrupted": round(first_s), "killed": round(second_s)}, "kill": note,
                  "kinds": kinds, "identical_after_kill": a == b, "accuracy": acc, "zero_shot": zs, "zero_shot_on_elicited": zs_elicited,
                  "coverage_warning": first.summary.get("coverage", {}).get("warning")}
        print(f"{args.n} SST-2 validation sentences, {report['batches']} batches of {args.batch_size}, 2 workers, "
              f"{args.iterations} iterations per batch, scoring {first.config['scoring']}, calibrate "
              f"{first.config['calibrate']}")
        print(f"labels: {kinds['elicited']} elicited, {kinds['filled']} filled, {kinds['unlabeled']} unlabeled")
        print(f"killed run ({note}): labels and kinds identical to the uninterrupted run: {a == b}")
        print(f"accuracy vs gold: elicited {fmt(acc['elicited'])}; filled {fmt(acc['filled'])}; "
              f"all {fmt(acc['all'])}")
        print(f"zero-shot on the same {args.n}: calibrate none {fmt(zs['none'])}; center {fmt(zs['center'])}")
        print(f"zero-shot on the {len(elicited_ids)} elicited ones: calibrate none {fmt(zs_elicited['none'])}; "
              f"center {fmt(zs_elicited['center'])}")
        print(f"batched_sst2_128 n={args.n} batches={report['batches']} elicited={kinds['elicited']} "
              f"filled={kinds['filled']} unlabeled={kinds['unlabeled']} identical_after_kill={int(a == b)} "
              f"accuracy={acc['all']['accuracy']:.3f} zero_shot_accuracy={zs['center']['accuracy']:.3f} "
              f"uninterrupted_s={first_s:.0f} killed_s={second_s:.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
