"""How review and annotation response times grow with dataset size.

Seeds datasets (default 1,000,000 examples; --sizes 1000,100000,1000000 for a growth table), each one split
with gold, three completed ICM runs (one label and score per example) with progress events, five annotators
who labeled every example, and a completed evaluation — bulk-loaded with COPY, then counted by the same
recount an import runs (tallies.rebuild). Then times, through Django's full request stack (middleware,
views, templates): the dashboard; the first page of the disagreement table (ICM run 1 against the people's
majority) sorted by the model's confidence and by the people's agreement, and a page deep into each
(reached by following the keyset cursor); and, through the annotation services, "next example" and one
label write for newcomers on the dataset (overlap 6, so every example still needs a label); and a trivial
page (the login form) as the baseline measured in the same run. Medians of --repeat after a warm-up. The
dashboard is timed after those newcomers labeled, each below REVIEW_MIN_ANNOTATOR_LABELS (the people's filter
then leaves them out, as at the start of every study), and again on a comparison dataset (pairs of twins, both
orders; --pairs-size examples, default a tenth of the size) with the same five annotators and newcomers.

It works in its own PostgreSQL database, created and dropped here: REVIEW_BENCH_DATABASE_URL, else the
server of DATABASE_URL with the database name `icm_bench_review`, else postgres@127.0.0.1:5432.

    .venv/bin/python benchmarks/review_scale.py [--sizes 1000000] [--repeat 7] [--keep | --reuse] [--smoke]

Seeding a million examples takes tens of minutes, the timings a minute; the two can run at different moments:
--keep seeds (every size, then the comparison dataset), times, and leaves the database in place; --reuse skips
creating and seeding and times against the database an earlier --keep run completed (same --sizes; the comparison
dataset is the one found there), leaving it in place again. Each --reuse run adds three fresh newcomers per
dataset (a few labels each, still below the minimum), so the timings stay comparable from run to run. Seeding
loads the rows with the tables' secondary indexes dropped and foreign-key triggers off, rebuilding the indexes
once afterwards (a bulk load's usual order); its phases are printed with their seconds.

Needs `make install` only. --smoke (or BENCH_SMOKE=1): the same code paths at 2,000 examples, in seconds. The last line reads:
review_scale n=N dashboard_ms=D disagreements_ms=G agreement_sorted_ms=A next_example_ms=X label_write_ms=W
pairs_n=P dashboard_pairs_ms=DP trivial_ms=T (targets at 1,000,000: D < 1000, G < 300, A < 300, X < 50,
W < 30; DP < 1000).
"""
from __future__ import annotations

import argparse
import json
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


WORDS = "good bad plot acting film slow funny dull moving brilliant weak script scene music ending".split()
TEMPLATE = "Review: {text}\nClaim: this review is positive.\nI think this claim is"
ANNOTATOR_ACCURACY = (0.9, 0.8, 0.7, 0.65, 0.6)
RUN_ACCURACY = (0.8, 0.75, 0.7)


from benchmarks._support.bulk import BulkLoad as _BulkLoad, b as _b, copy_rows as _copy  # noqa: E402


def _phase(phases: dict, name: str, t: float) -> float:
    now = time.perf_counter()
    phases[name] = phases.get(name, 0.0) + now - t
    return now


def seed(n: int, users, rng: random.Random):
    from django.db import connection, transaction
    from django.utils import timezone

    from studio.models import (Dataset, ElicitationRun, ElicitedLabel, Evaluation, Example, GoldLabel, HumanLabel,
                               Membership, RunEvent)
    from studio.services import tallies

    ds = Dataset.objects.create(name=f"scale-{n}", slug=f"scale-{n}", task_type=Dataset.TaskType.TEXT,
                                prompt_template=TEMPLATE, display_fields=["text"], annotation_overlap=6,
                                annotation_split="test")
    Membership.objects.bulk_create([Membership(user=u, dataset=ds, role=Membership.Role.ANNOTATOR) for u in users])
    gold = [rng.random() < 0.5 for _ in range(n)]
    votes = [[g if rng.random() < acc else not g for g in gold] for acc in ANNOTATOR_ACCURACY]
    runs = [ElicitationRun.objects.create(dataset=ds, split="test", state=ElicitationRun.State.COMPLETED,
                                          fingerprint=f"scale-{n}-{r}", finished_at=timezone.now(), example_count=n)
            for r in range(len(RUN_ACCURACY))]
    now = timezone.now().isoformat()
    phases: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as wrapper:
        cur = wrapper.cursor
        load = _BulkLoad(cur, [Example, GoldLabel, ElicitedLabel, HumanLabel]).__enter__()
        t = time.perf_counter()

        def example_lines():
            for i in range(n):
                text = " ".join(rng.choice(WORDS) for _ in range(14))
                t = sum(v[i] for v in votes)
                prompt = TEMPLATE.format(text=text).replace("\n", "\\n")
                yield (f"{ds.pk}\t{i}\ttest\t{i}\t{json.dumps({'text': text})}\t{prompt}\t\t\t"
                       f"{t}\t{len(votes) - t}\t0\t0")

        _copy(cur, Example, ["dataset", "external_id", "split", "position", "fields", "prompt", "group", "key",
                             "people_true", "people_false", "crowd_true", "crowd_false"], example_lines())
        cur.execute(f"SELECT id FROM {Example._meta.db_table} WHERE dataset_id = %s ORDER BY position", [ds.pk])
        ids = [row[0] for row in cur.fetchall()]
        _copy(cur, GoldLabel, ["example", "label"], (f"{ids[i]}\t{_b(gold[i])}" for i in range(n)))
        for run, acc in zip(runs, RUN_ACCURACY):
            def run_lines(run=run, acc=acc):
                for i in range(n):
                    label = gold[i] if rng.random() < acc else not gold[i]
                    mag = rng.uniform(0.01, 8.0)
                    # about one in ten filled after the search, in batches of 256, as a studio run writes
                    kind = "filled" if i % 10 == 9 else "elicited"
                    yield f"{run.pk}\t{ids[i]}\t{_b(label)}\t{mag if label else -mag!r}\t{kind}\t{i // 256}"
            _copy(cur, ElicitedLabel, ["run", "example", "label", "score", "kind", "batch"], run_lines())
        for u, v in zip(users, votes):
            _copy(cur, HumanLabel, ["example", "annotator", "source", "label", "seconds_spent", "created_at"],
                  (f"{ids[i]}\t{u.pk}\tannotator\t{_b(v[i])}\t{rng.uniform(2, 30):.2f}\t{now}" for i in range(n)))
        t = _phase(phases, "copy", t)
        load.__exit__(None, None, None)
        t = _phase(phases, "indexes", t)
    for run in runs:
        RunEvent.objects.bulk_create([RunEvent(run=run, iteration=10 * k, energy=-100 + k / 4, accepted_flips=k,
                                               inconsistencies=max(0, 50 - k), accuracy=0.5 + k / 2000)
                                      for k in range(300)])
    test = ids[:500]
    entries = [{"key": k, "kind": k, "name": k, "n_demos": 32, "predictions": [rng.random() < 0.5 for _ in test]}
               for k in ("zero-shot", "random", "people", "gold")]
    entries.append({"key": f"run:{runs[0].pk}", "kind": "icm", "name": f"ICM run {runs[0].pk}", "run_id": runs[0].pk,
                    "n_demos": 32, "predictions": [gold[i] if rng.random() < 0.8 else not gold[i] for i in range(500)]})
    Evaluation.objects.create(dataset=ds, state=Evaluation.State.COMPLETED, finished_at=timezone.now(),
                              config={"seed": 0, "max_demos": 32},
                              results={"test_split": "test", "train_split": "train", "example_ids": test,
                                       "sources": entries})
    t = _phase(phases, "events_evaluation", t)
    with connection.cursor() as cur:  # fresh planner statistics, as autovacuum would give a real deployment
        cur.execute("ANALYZE")
    t = _phase(phases, "analyze", t)
    tallies.rebuild(ds)  # what an import or a finishing run does: count every aggregate from the labels
    t = _phase(phases, "recount", t)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    _phase(phases, "vacuum", t)
    print(f"seeded n={n}: " + " ".join(f"{k}_s={v:.1f}" for k, v in phases.items()), flush=True)
    return ds, runs, phases["recount"]


def seed_pairs(n: int, users, rng: random.Random):
    """A comparison dataset of n examples (n // 2 pairs, both orders): gold, one completed run, and each of
    `users` judging every pair once, in one order (the other order's label is implied, tallies/twins.py)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from studio.models import Dataset, ElicitationRun, ElicitedLabel, Example, GoldLabel, HumanLabel, Membership
    from studio.services import tallies

    ds = Dataset.objects.create(name=f"pairs-{n}", slug=f"pairs-{n}", task_type=Dataset.TaskType.COMPARISON,
                                consistency=Dataset.Consistency.COMPARISON, prompt_template=TEMPLATE,
                                display_fields=["text"], annotation_overlap=6, annotation_split="test")
    Membership.objects.bulk_create([Membership(user=u, dataset=ds, role=Membership.Role.ANNOTATOR) for u in users])
    pairs = n // 2
    first = [rng.random() < 0.5 for _ in range(pairs)]  # gold of the A>B order; B>A is its negation
    run = ElicitationRun.objects.create(dataset=ds, split="test", state=ElicitationRun.State.COMPLETED,
                                        fingerprint=f"pairs-{n}", finished_at=timezone.now(), example_count=n)
    now = timezone.now().isoformat()
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as wrapper, \
            _BulkLoad(wrapper.cursor, [Example, GoldLabel, ElicitedLabel, HumanLabel]):
        cur = wrapper.cursor

        def example_lines():
            for i in range(pairs):
                text = " ".join(rng.choice(WORDS) for _ in range(14))
                for j, key in enumerate(("A>B", "B>A")):
                    prompt = TEMPLATE.format(text=text).replace("\n", "\\n")
                    yield (f"{ds.pk}\tp{i}-{j}\ttest\t{2 * i + j}\t{json.dumps({'text': text})}\t{prompt}\t"
                           f"pair-{i}\t{key}\t0\t0\t0\t0")

        _copy(cur, Example, ["dataset", "external_id", "split", "position", "fields", "prompt", "group", "key",
                             "people_true", "people_false", "crowd_true", "crowd_false"], example_lines())
        cur.execute(f"SELECT id FROM {Example._meta.db_table} WHERE dataset_id = %s ORDER BY position", [ds.pk])
        ids = [row[0] for row in cur.fetchall()]
        gold = [first[i // 2] if i % 2 == 0 else not first[i // 2] for i in range(2 * pairs)]
        _copy(cur, GoldLabel, ["example", "label"], (f"{ids[i]}\t{_b(gold[i])}" for i in range(2 * pairs)))
        _copy(cur, ElicitedLabel, ["run", "example", "label", "score", "kind", "batch"],
              (f"{run.pk}\t{ids[i]}\t{_b(gold[i] if rng.random() < 0.75 else not gold[i])}\t1.0\telicited\t0"
               for i in range(2 * pairs)))
        for u, acc in zip(users, ANNOTATOR_ACCURACY):
            def label_lines(u=u, acc=acc):
                for p in range(pairs):
                    i = 2 * p + (tallies.chosen_order(u.pk, ds.pk, f"pair-{p}", [0, 1]) == 1)
                    label = gold[i] if rng.random() < acc else not gold[i]
                    yield f"{ids[i]}\t{u.pk}\tannotator\t{_b(label)}\t{rng.uniform(2, 30):.2f}\t{now}"
            _copy(cur, HumanLabel, ["example", "annotator", "source", "label", "seconds_spent", "created_at"],
                  label_lines())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    tallies.rebuild(ds)  # also sets the vote columns, implied votes included
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"seeded comparison dataset n={n}: {time.perf_counter() - t:.1f} s", flush=True)
    return ds


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


def _deep(client, review, ds, base: str, sort: str, a: str, pages: int, repeat: int) -> tuple[float, float]:
    """(first page ms, deep page ms) of the disagreement table in one sort order."""
    url = f"{base}&sort={sort}"
    first, _ = timed(client, url, repeat)
    page = review.disagreements(ds, "test", a, "people", sort=sort)
    for _ in range(pages):
        if page["next"]:
            page = review.disagreements(ds, "test", a, "people", sort=sort, after=page["next"])
    deep, _ = timed(client, url + (f"&after={page['next']}" if page["next"] else ""), repeat)
    return first, deep


def _annotation(ds, newcomers, repeat: int) -> tuple[float, float]:
    """Medians of "next example" and of one label write, over newcomers working through the queue."""
    from studio.services.annotation import next_example, submit_label

    nexts, writes = [], []
    for k in range(repeat + 1):
        user = newcomers[k % len(newcomers)]
        t = time.perf_counter()
        example = next_example(user, ds)
        t1 = time.perf_counter()
        assert example is not None
        submit_label(user, example, k % 2 == 0, 3.0)
        t2 = time.perf_counter()
        if k:  # the first is the warm-up
            nexts.append(1000 * (t1 - t))
            writes.append(1000 * (t2 - t1))
    return statistics.median(nexts), statistics.median(writes)


SEEDED_MARK = "bench-seeded-complete"  # a user created once every dataset is seeded: --reuse needs a whole database


def _seed_all(sizes: list[int], pairs_n: int, users, rng: random.Random) -> tuple[dict, object]:
    from django.contrib.auth import get_user_model

    seeded = {}
    for n in sizes:
        t0 = time.perf_counter()
        ds, runs, rebuild_s = seed(n, users, rng)
        seeded[n] = (ds, runs, time.perf_counter() - t0 - rebuild_s, rebuild_s)
    pairs = seed_pairs(pairs_n, users, rng)
    get_user_model().objects.create_user(SEEDED_MARK, password=None)
    return seeded, pairs


def _find_seeded(sizes: list[int]) -> tuple[dict, object]:
    """The datasets an earlier --keep run seeded, or SystemExit saying what is missing."""
    from django.contrib.auth import get_user_model

    from studio.models import Dataset, ElicitationRun

    if not get_user_model().objects.filter(username=SEEDED_MARK).exists():
        raise SystemExit(f"--reuse: {bench_database_url()} holds no completed seeding (run with --keep first)")
    seeded = {}
    for n in sizes:
        ds = Dataset.objects.filter(slug=f"scale-{n}").first()
        if ds is None:
            raise SystemExit(f"--reuse: no dataset scale-{n} in {bench_database_url()} (--sizes must match the "
                             f"--keep run's)")
        runs = list(ElicitationRun.objects.filter(dataset=ds).order_by("pk"))
        seeded[n] = (ds, runs, None, None)
    pairs = Dataset.objects.filter(slug__startswith="pairs-").order_by("-pk").first()
    return seeded, pairs


def _newcomers(ds, tag: str):
    from django.contrib.auth import get_user_model

    from studio.models import Membership

    users = [get_user_model().objects.create_user(f"bench-newcomer-{ds.slug}-{tag}-{k}", password="x" * 12)
             for k in range(3)]
    Membership.objects.bulk_create([Membership(user=u, dataset=ds, role=Membership.Role.ANNOTATOR) for u in users])
    return users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--deep-pages", type=int, default=5, help="pages to follow before timing a deep page")
    parser.add_argument("--pairs-size", type=int, default=0,
                        help="examples of the comparison dataset (default: a tenth of the largest size)")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", action="store_true", help="leave the benchmark database in place")
    kept.add_argument("--reuse", action="store_true",
                      help="time against the database a --keep run left, without creating or seeding it")
    from benchmarks._support import smoke

    smoke.add_flag(parser)
    args = parser.parse_args()
    smoke.apply(parser, args, sizes="2000", repeat=2, deep_pages=1)
    sizes = [int(s) for s in args.sizes.split(",")]

    url = bench_database_url()
    if not args.reuse:
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

        User = get_user_model()
        if args.reuse:
            seeded, pairs = _find_seeded(sizes)
            admin = User.objects.get(username="bench-admin")
        else:
            call_command("migrate", verbosity=0)
            admin = User.objects.create_user("bench-admin", password="x" * 12, is_staff=True, is_superuser=True)
            users = [User.objects.create_user(f"bench-annotator-{k}", password="x" * 12) for k in range(5)]
            seeded, pairs = _seed_all(sizes, args.pairs_size or max(2, max(sizes) // 10), users, random.Random(0))
        pairs_n = pairs.examples.count()
        tag = str(int(time.time()))  # fresh newcomers each run, so a --reuse run finds none above the minimum
        client = Client()
        client.force_login(admin)

        results = []
        print(f"{'n':>8} {'seed_s':>7} {'recount_s':>9} {'dashboard':>9} {'conf_p1':>8} {'conf_deep':>9} "
              f"{'agree_p1':>8} {'agree_deep':>10} {'next':>7} {'write':>7} {'trivial':>7}   (ms)")
        for n in sizes:
            ds, runs, seed_s, rebuild_s = seeded[n]
            newcomers = _newcomers(ds, tag)
            trivial, _ = timed(client, "/accounts/login/", args.repeat)
            nxt, write = _annotation(ds, newcomers, args.repeat)  # newcomers label first, below the minimum
            below = review.dashboard(ds, "test", with_curves=False)["annotators_below_minimum"]
            assert below >= len(newcomers), below
            dash, _ = timed(client, f"/review/{ds.slug}/?split=test", args.repeat)
            a = f"run:{runs[0].pk}"
            base = f"/review/{ds.slug}/disagreements/?split=test&a={a}&b=people"
            conf, conf_deep = _deep(client, review, ds, base, "confidence", a, args.deep_pages, args.repeat)
            agree, agree_deep = _deep(client, review, ds, base, "agreement", a, args.deep_pages, args.repeat)
            trivial_after, _ = timed(client, "/accounts/login/", args.repeat)
            trivial = statistics.median([trivial, trivial_after])
            row = (n, dash, conf, conf_deep, agree, agree_deep, nxt, write, trivial)
            results.append(row)
            seeds = (f"{seed_s:>7.1f} {rebuild_s:>9.1f}" if seed_s is not None else f"{'kept':>7} {'kept':>9}")
            print(f"{n:>8} {seeds} {dash:>9.1f} {conf:>8.1f} {conf_deep:>9.1f} "
                  f"{agree:>8.1f} {agree_deep:>10.1f} {nxt:>7.2f} {write:>7.2f} {trivial:>7.2f}", flush=True)

        pair_newcomers = _newcomers(pairs, tag)
        _annotation(pairs, pair_newcomers, args.repeat)
        below = review.dashboard(pairs, "test", with_curves=False)["annotators_below_minimum"]
        assert below >= len(pair_newcomers), below
        dash_pairs, _ = timed(client, f"/review/{pairs.slug}/?split=test", args.repeat)
        print(f"comparison dataset n={pairs_n}: dashboard {dash_pairs:.1f} ms (newcomers below the minimum)")

        n0, d0, c0 = results[0][:3]
        print("\nagainst the trivial page measured in the same run (time ratios), and growth against the smallest size:")
        for n, dash, conf, conf_deep, agree, agree_deep, nxt, write, trivial in results:
            print(f"  n={n}: dashboard/trivial {dash / trivial:.0f}  disagreements/trivial {conf / trivial:.0f}  "
                  f"agreement-sorted/trivial {agree / trivial:.0f}  next/trivial {nxt / trivial:.1f}  "
                  f"write/trivial {write / trivial:.1f}  deep/first page {conf_deep / conf:.2f} (confidence) "
                  f"{agree_deep / agree:.2f} (agreement)  size x{n / n0:.0f}: dashboard x{dash / d0:.1f} "
                  f"disagreements x{conf / c0:.1f}")
        n, dash, conf, _, agree, _, nxt, write, trivial = results[-1]
        print(f"review_scale n={n} dashboard_ms={dash:.1f} disagreements_ms={conf:.1f} agreement_sorted_ms={agree:.1f} "
              f"next_example_ms={nxt:.1f} label_write_ms={write:.1f} pairs_n={pairs_n} "
              f"dashboard_pairs_ms={dash_pairs:.1f} trivial_ms={trivial:.1f}")
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(url)


if __name__ == "__main__":
    main()
