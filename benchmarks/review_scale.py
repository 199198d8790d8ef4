"""How the review pages' response times grow with dataset size.

Seeds datasets of 1,000, 10,000 and 100,000 examples (one split), each with gold, three completed ICM runs
(one label and score per example) with progress events, five annotators who labeled every example, and a
completed evaluation; then times, through Django's full request stack (middleware, views, templates), the
dashboard, the first page of the disagreement table (ICM run 1 against the people's majority, sorted by
the model's confidence), a page deep into it (reached by following the keyset cursor), and a trivial page
(the login form) as the baseline measured in the same run. Medians of --repeat requests after a warm-up.

It works in its own PostgreSQL database, created and dropped here: REVIEW_BENCH_DATABASE_URL, else the
server of DATABASE_URL with the database name `icm_bench_review`, else postgres@127.0.0.1:5432.

    .venv/bin/python benchmarks/review_scale.py [--sizes 1000,10000,100000] [--repeat 5] [--keep]

The last line reads: review_scale n=100000 dashboard_ms=A disagreements_ms=B trivial_ms=C
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "icm_bench_review"
BATCH = 5000


def bench_database_url() -> str:
    if os.environ.get("REVIEW_BENCH_DATABASE_URL"):
        return os.environ["REVIEW_BENCH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        return urlunparse(urlparse(base)._replace(path=f"/{BENCH_DB}"))
    return f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"


def _admin_conn(url: str):
    import psycopg

    u = urlparse(url)
    return psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                           password=u.password, dbname="postgres", autocommit=True)


def create_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _admin_conn(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _admin_conn(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(n: int, users, rng: random.Random):
    from django.utils import timezone

    from studio.models import (Dataset, ElicitationRun, ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel,
                               RunEvent)

    ds = Dataset.objects.create(name=f"scale-{n}", slug=f"scale-{n}", task_type=Dataset.TaskType.TEXT,
                                prompt_template="Review: {text}\nClaim: this review is positive.\nI think this claim is",
                                display_fields=["text"])
    words = "good bad plot acting film slow funny dull moving brilliant weak script scene music ending".split()
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            text = " ".join(rng.choice(words) for _ in range(14))
            batch.append(Example(dataset=ds, external_id=str(i), split="test", position=i, fields={"text": text},
                                 prompt=f"Review: {text}\nClaim: this review is positive.\nI think this claim is"))
        Example.objects.bulk_create(batch)
    ids = list(Example.objects.filter(dataset=ds).order_by("pk").values_list("pk", flat=True))
    gold = {i: rng.random() < 0.5 for i in ids}
    for start in range(0, n, BATCH):
        GoldLabel.objects.bulk_create([GoldLabel(example_id=i, label=gold[i]) for i in ids[start:start + BATCH]])

    runs = []
    for r, acc in enumerate((0.8, 0.75, 0.7)):
        run = ElicitationRun.objects.create(dataset=ds, split="test", state=ElicitationRun.State.COMPLETED,
                                            fingerprint=f"scale-{n}-{r}", finished_at=timezone.now(), example_count=n)
        runs.append(run)
        for start in range(0, n, BATCH):
            rows = []
            for i in ids[start:start + BATCH]:
                label = gold[i] if rng.random() < acc else not gold[i]
                mag = rng.uniform(0.01, 8.0)
                rows.append(ElicitedLabel(run=run, example_id=i, label=label, score=mag if label else -mag))
            ElicitedLabel.objects.bulk_create(rows)
        RunEvent.objects.bulk_create([RunEvent(run=run, iteration=10 * k, energy=-100 + k / 4, accepted_flips=k,
                                               inconsistencies=max(0, 50 - k), accuracy=0.5 + k / 2000)
                                      for k in range(300)])
    for u, acc in zip(users, (0.9, 0.8, 0.7, 0.65, 0.6)):
        for start in range(0, n, BATCH):
            HumanLabel.objects.bulk_create([
                HumanLabel(example_id=i, annotator=u, source=HumanLabel.Source.ANNOTATOR,
                           label=gold[i] if rng.random() < acc else not gold[i], seconds_spent=rng.uniform(2, 30))
                for i in ids[start:start + BATCH]])
    test = ids[:500]
    entries = [{"key": k, "kind": k, "name": k, "n_demos": 32, "predictions": [rng.random() < 0.5 for _ in test]}
               for k in ("zero-shot", "random", "people", "gold")]
    entries.append({"key": f"run:{runs[0].pk}", "kind": "icm", "name": f"ICM run {runs[0].pk}", "run_id": runs[0].pk,
                    "n_demos": 32, "predictions": [gold[i] if rng.random() < 0.8 else not gold[i] for i in test]})
    Evaluation.objects.create(dataset=ds, state=Evaluation.State.COMPLETED, finished_at=timezone.now(),
                              config={"seed": 0, "max_demos": 32},
                              results={"test_split": "test", "train_split": "train", "example_ids": test,
                                       "sources": entries})
    from django.db import connection

    with connection.cursor() as cur:  # fresh planner statistics, as autovacuum would give a real deployment
        cur.execute("ANALYZE")
    return ds, runs


def timed(client, url: str, repeat: int) -> tuple[float, object]:
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - t))
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deep-pages", type=int, default=5, help="pages to follow before timing a deep page")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database in place")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    url = bench_database_url()
    create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "review-scale-benchmark-only-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    os.environ.pop("DEBUG", None)
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from studio.services import review

        call_command("migrate", verbosity=0)
        User = get_user_model()
        admin = User.objects.create_user("bench-admin", password="x" * 12, is_staff=True, is_superuser=True)
        users = [User.objects.create_user(f"bench-annotator-{k}", password="x" * 12) for k in range(5)]
        client = Client()
        client.force_login(admin)
        rng = random.Random(0)

        results = []
        print(f"{'n':>8} {'seed_s':>7} {'dashboard_ms':>13} {'disagree_p1_ms':>15} {'disagree_deep_ms':>17} {'trivial_ms':>11}")
        for n in sizes:
            t0 = time.perf_counter()
            ds, runs = seed(n, users, rng)
            seed_s = time.perf_counter() - t0
            trivial, _ = timed(client, "/accounts/login/", args.repeat)
            dash, _ = timed(client, f"/review/{ds.slug}/?split=test", args.repeat)
            base = f"/review/{ds.slug}/disagreements/?split=test&a=run:{runs[0].pk}&b=people&sort=confidence"
            first, _ = timed(client, base, args.repeat)
            page = review.disagreements(ds, "test", f"run:{runs[0].pk}", "people", sort="confidence")
            for _ in range(args.deep_pages):
                if page["next"]:
                    page = review.disagreements(ds, "test", f"run:{runs[0].pk}", "people", sort="confidence",
                                                after=page["next"])
            deep_url = base + (f"&after={page['next']}" if page["next"] else "")
            deep, _ = timed(client, deep_url, args.repeat)
            trivial_after, _ = timed(client, "/accounts/login/", args.repeat)
            trivial = statistics.median([trivial, trivial_after])
            results.append((n, dash, first, deep, trivial))
            print(f"{n:>8} {seed_s:>7.1f} {dash:>13.1f} {first:>15.1f} {deep:>17.1f} {trivial:>11.2f}", flush=True)

        n0, d0, f0, _, _ = results[0]
        print("\ngrowth against the smallest size (time ratio / size ratio):")
        for n, dash, first, deep, trivial in results:
            print(f"  n={n}: size x{n / n0:.0f}  dashboard x{dash / d0:.1f}  disagreements x{first / f0:.1f}  "
                  f"dashboard/trivial {dash / trivial:.0f}  disagreements/trivial {first / trivial:.0f}  "
                  f"deep page/first page {deep / first:.2f}")
        n, dash, first, _, trivial = results[-1]
        print(f"review_scale n={n} dashboard_ms={dash:.1f} disagreements_ms={first:.1f} trivial_ms={trivial:.2f}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
