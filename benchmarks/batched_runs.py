"""Batched runs fanned out over worker processes: speed-up on 2 and 4 workers over 1, and the orchestration
overhead per batch, on the real stack (PostgreSQL, Redis, `celery worker` processes, the studio's own tasks).

The model is a STAND-IN (benchmarks/standin_worker.py, SleepBackend): it costs a fixed time per token and
computes nothing, because this machine has 2 cores and a real model's batches would share them, which would
measure the cores, not the orchestration. Everything else is real: start_run partitions the examples, one
task per batch goes through Redis, each worker claims, leases, checkpoints, writes progress and labels, and the
run settles when its last batch does.

For each worker count W in 1, 2, 4: start W workers, start a run of BATCHES batches, and time it from its
creation to its finish (both stamped by the database). Backend time = Σ tokens × seconds per token over the
batches (exactly what the stand-in slept). Speed-up S_W = wall(1) / wall(W); overhead per batch =
(wall(1) − backend time) / BATCHES: wall time the single worker spent on anything but the model — queueing,
claiming, the engine's own bookkeeping, database writes, settling.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; creates and drops its own database (DATABASE_URL's name +
_batched_bench) and uses Redis database 9 unless BENCH_REDIS_URL says otherwise. Last line:
    batched_runs batches=16 speedup_2=S2 speedup_4=S4 overhead_ms_per_batch=O

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_studio REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/batched_runs.py [--smoke]

Needs `make install` only (its worker harness is benchmarks/_support/workers.py). --smoke (or BENCH_SMOKE=1):
2 batches of 4, 2 iterations, on 1 and 2 workers (the last line then has no speedup_4), about 20 s.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchmarks._support import smoke  # noqa: E402


def make_dataset(n: int):
    """n SST-2 validation sentences (no gold: nothing is scored against it here)."""
    from studio.models import Dataset, Example
    from benchmarks._support import sst2

    ds = Dataset.objects.create(name="Batched benchmark", slug="batched-benchmark", prompt_template=sst2.TEMPLATE,
                                display_fields=["sentence"])
    Example.objects.bulk_create([
        Example(dataset=ds, external_id=f"dev-{i}", split="validation", position=i, fields={"sentence": s},
                prompt=sst2.TEMPLATE.format(sentence=s)) for i, (s, _) in enumerate(sst2.balanced(n))])
    return ds


def run_once(workers: int, args, dataset, user, log_dir: Path) -> dict:
    from studio.models import ElicitationRun
    from studio.services import runs
    from benchmarks._support.workers import Worker, purge_broker, start_all

    purge_broker()
    started = []
    env = {"BENCH_SECONDS_PER_TOKEN": str(args.seconds_per_token), "OMP_NUM_THREADS": "1",
           "ICM_TORCH_THREADS": "1"}
    try:
        started = [Worker(f"bench{workers}-{i}", connection.settings_dict["NAME"], log_dir, env,
                          app="benchmarks.standin_worker") for i in range(workers)]
        start_all(started, timeout=180)
        # the same run each time (same seed: same partition, same work); the one before it has finished
        config = {"iterations": args.iterations, "initial_labels": 4, "scoring": "exact", "calibrate": "none"}
        run = runs.start_run(dataset, user=user, batch_size=args.batch_size, config=config)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.state in ElicitationRun.FINISHED_STATES:
                break
            time.sleep(0.1)
        if run.state != "completed":
            tail = "\n".join(w.log()[-2000:] for w in started)
            raise SystemExit(f"run with {workers} worker(s) ended {run.state}: {run.error}\n{tail}")
        batches = list(run.batches.all())
        wall = (run.finished_at - run.created_at).total_seconds()
        backend = sum(b.tokens_used for b in batches) * args.seconds_per_token
        used = {b.worker for b in batches}
        # where the time not spent in the backend went: inside a batch's task (claim to finish) or between
        inside = sum((b.finished_at - b.started_at).total_seconds() - b.tokens_used * args.seconds_per_token
                     for b in batches) / len(batches)
        print(f"  per batch: {1000 * inside:.0f} ms in its task outside the backend (engine bookkeeping, progress "
              f"and label writes, settling)", flush=True)
        print(f"{workers} worker(s): {len(batches)} batches in {wall:.2f} s wall; stand-in backend time "
              f"{backend:.2f} s; batches taken by {len(used)} worker process(es)", flush=True)
        return {"wall": wall, "backend": backend, "batches": len(batches)}
    finally:
        for w in started:
            w.stop()
        purge_broker()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=12)
    ap.add_argument("--seconds-per-token", type=float, default=0.0002)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts; the first must be 1")
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, batches=2, batch_size=4, iterations=2, workers=[1, 2], timeout=120)
    if args.workers[0] != 1:
        raise SystemExit("--workers: the first count must be 1 (the speed-ups are against one worker)")
    if not connection.vendor == "postgresql" or not os.environ.get("DATABASE_URL"):
        raise SystemExit("needs DATABASE_URL=postgres://... and Redis (the real stack)")

    from benchmarks._support.scratch_db import scratch_database

    with scratch_database("batched_bench"):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
        dataset = make_dataset(args.batches * args.batch_size)
        with tempfile.TemporaryDirectory() as logs:
            results = {w: run_once(w, args, dataset, user, Path(logs)) for w in args.workers}
    one = results[1]
    if one["batches"] != args.batches:
        print(f"note: the partition made {one['batches']} batches, not {args.batches}")
    speedups = " ".join(f"speedup_{w}={one['wall'] / results[w]['wall']:.2f}" for w in args.workers[1:])
    overhead_ms = 1000 * (one["wall"] - one["backend"]) / one["batches"]
    print("targets: speedup_2 >= 1.8, speedup_4 >= 3.4, overhead < 200 ms per batch")
    print(f"batched_runs batches={one['batches']} {speedups} overhead_ms_per_batch={overhead_ms:.0f}")


if __name__ == "__main__":
    main()
