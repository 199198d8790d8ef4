"""How a study at the largest allowed sizes weighs on its pages and on the annotation pages of its dataset.

Seeds a text dataset with --items train and --items test examples (gold on the test ones), --annotators people
who annotate it, and a study (the custom template) at the largest sizes plan_study allows: ICM pool, people's
train items and test items of --items each (100,000, the bound in studio/services/studies/creating.py), k of
--k (MAX_K, 50) chosen annotators, the most repeats. The first --labeled items of the study's people items carry
labels from all k annotators and the next --labeled from half of them (a study under way; bulk-loaded with COPY,
then counted by tallies.rebuild), and its labeling is opened. Then times, through Django's full request stack:
the study's admin change page, the study page, its state.json (polled every 2 s while open), /api/studies/,
and, as one of the study's annotators, the dataset's annotation page, "next" and a label (POSTs, as the page's
script sends them) with the study's labeling open and again after it is closed; and a trivial page (the login
form) as the baseline measured in the same run. Medians of --repeat after a warm-up.

It works in a throwaway database beside DATABASE_URL's (benchmarks/_support/scratch_db.py), dropped afterwards.

    .venv/bin/python benchmarks/study_scale.py [--items 100000] [--k 50] [--labeled 20000] [--repeat 7] [--smoke]

Needs `make install` only. --smoke (or BENCH_SMOKE=1): the same code paths at 300 items, k 3, in seconds. The last
line reads: study_scale items=I k=K labels=L admin_ms=A study_ms=S state_ms=J api_list_ms=P annotate_open_ms=O
annotate_closed_ms=C next_open_ms=NO next_closed_ms=NC label_open_ms=LO label_closed_ms=LC
label_closed_same_items_ms=LS trivial_ms=T (LS: labeling closed, the queue over the open phase's items, whose
labels' tallies cost what the open phase's did)
(targets: A, S, J, P < 300; the open figures within noise of the closed ones).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._support.bulk import BulkLoad, b, copy_rows  # noqa: E402

WORDS = "good bad plot acting film slow funny dull moving brilliant weak script scene music ending".split()
TEMPLATE = "Review: {text}\nClaim: this review is positive.\nI think this claim is"


def seed(items: int, n_people: int, rng: random.Random):
    """The dataset (train and test splits of `items` each, gold on test) and `n_people` annotators."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from studio.models import Dataset, Example, GoldLabel, Membership

    User = get_user_model()
    ds = Dataset.objects.create(name="study-scale", slug="study-scale", task_type=Dataset.TaskType.TEXT,
                                prompt_template=TEMPLATE, display_fields=["text"], annotation_overlap=3,
                                annotation_split="test")
    people = [User.objects.create_user(f"study-annotator-{k:02d}", password="x" * 12) for k in range(n_people)]
    Membership.objects.bulk_create([Membership(user=u, dataset=ds, role=Membership.Role.ANNOTATOR) for u in people])
    with transaction.atomic(), connection.cursor() as wrapper, BulkLoad(wrapper.cursor, [Example, GoldLabel]):
        cur = wrapper.cursor

        def example_lines():
            for i in range(2 * items):
                text = " ".join(rng.choice(WORDS) for _ in range(14))
                prompt = TEMPLATE.format(text=text).replace("\n", "\\n")
                split = "train" if i < items else "test"
                yield f"{ds.pk}\t{i}\t{split}\t{i}\t{json.dumps({'text': text})}\t{prompt}\t\t\t0\t0\t0\t0"

        copy_rows(cur, Example, ["dataset", "external_id", "split", "position", "fields", "prompt", "group", "key",
                                 "people_true", "people_false", "crowd_true", "crowd_false"], example_lines())
        cur.execute(f"SELECT id FROM {Example._meta.db_table} WHERE dataset_id = %s AND split = 'test'", [ds.pk])
        copy_rows(cur, GoldLabel, ["example", "label"], (f"{pk}\t{b(rng.random() < 0.5)}" for (pk,) in cur.fetchall()))
    return ds, people


def label(study, people, labeled: int, rng: random.Random) -> int:
    """All k annotators' labels on the first `labeled` people items, half of them on the next `labeled`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from studio.models import HumanLabel
    from studio.services import tallies

    items = study.people_item_ids
    now = timezone.now().isoformat()
    chosen = people[:study.annotators_per_item]
    count = 0

    def lines():
        nonlocal count
        for k, u in enumerate(chosen):
            upto = 2 * labeled if k < len(chosen) // 2 else labeled
            for pk in items[:upto]:
                count += 1
                yield f"{pk}\t{u.pk}\tannotator\t{b(rng.random() < 0.5)}\t{rng.uniform(2, 30):.2f}\t{now}"

    with transaction.atomic(), connection.cursor() as wrapper, BulkLoad(wrapper.cursor, [HumanLabel]):
        copy_rows(wrapper.cursor, HumanLabel, ["example", "annotator", "source", "label", "seconds_spent",
                                               "created_at"], lines())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    tallies.rebuild(study.dataset)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return count


def timed(client, url: str, repeat: int, post: bool = False, body=None) -> tuple[float, object]:
    def once():
        if post:
            return client.post(url, data=json.dumps(body() if callable(body) else body or {}),
                               content_type="application/json")
        return client.get(url)

    response = once()  # warm-up
    assert response.status_code in (200, 201), (url, response.status_code, response.content[:500])
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = once()
        times.append(1000 * (time.perf_counter() - t))
        assert response.status_code in (200, 201), (url, response.status_code, response.content[:500])
    return statistics.median(times), response


def annotation_pages(client, ds, repeat: int) -> tuple[float, float, float]:
    """Medians of the annotation page, of "next", and of one label (which answers the next example too)."""
    page, _ = timed(client, f"/annotate/{ds.slug}/", repeat)
    nxt, response = timed(client, f"/annotate/{ds.slug}/next/", repeat, post=True)
    shown = {"example": response.json()["example"]["id"]}

    def body():  # label what was shown last, as the page does, then the answer shows the next one
        return {"example": shown["example"], "label": True, "seconds": 3.0}

    labels = []
    for k in range(repeat + 1):
        t = time.perf_counter()
        response = client.post(f"/annotate/{ds.slug}/label/", data=json.dumps(body()),
                               content_type="application/json")
        if k:
            labels.append(1000 * (time.perf_counter() - t))
        assert response.status_code in (200, 201), (response.status_code, response.content[:500])
        assert response.json()["example"], "the queue ran dry"
        shown["example"] = response.json()["example"]["id"]
    return page, nxt, statistics.median(labels)


def _profile(client, urls) -> None:
    import cProfile
    import pstats

    for url in urls:
        profiler = cProfile.Profile()
        t = time.perf_counter()
        profiler.runcall(client.get, url)
        print(f"--- {url}: {1000 * (time.perf_counter() - t):.0f} ms (profiled)")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(r"studio/(services|views|api|admin)", 12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="ICM pool, people's train and test items each")
    parser.add_argument("--k", type=int, default=0, help="annotators per item (default: the most allowed)")
    parser.add_argument("--labeled", type=int, default=20_000, help="people items all k annotators labeled")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print each page's top functions (cProfile) once")
    from benchmarks._support import smoke

    smoke.add_flag(parser)
    args = parser.parse_args()
    smoke.apply(parser, args, items=300, k=3, labeled=40, repeat=2)

    os.environ.setdefault("SECRET_KEY", "study-scale-benchmark-only-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from benchmarks._support.scratch_db import scratch_database
    from studio.models import Dataset
    from studio.services import studies
    from studio.services.studies.creating import MAX_K, MAX_REPEATS
    from studio.services.studies.templates import CUSTOM

    k = args.k or MAX_K
    with scratch_database("study_scale"):
        User = get_user_model()
        admin = User.objects.create_user("bench-admin", password="x" * 12, is_staff=True, is_superuser=True)
        rng = random.Random(0)
        t0 = time.perf_counter()
        ds, people = seed(args.items, k + 2, rng)
        study = studies.create_study(ds, CUSTOM, {
            "name": "largest study", "design": "paper", "icm_pool_size": args.items,
            "people_train_size": args.items, "test_size": args.items, "annotators_per_item": k,
            "annotators": people[:k], "repeats": MAX_REPEATS}, user=admin)
        labels = label(study, people, args.labeled, rng)
        studies.open_labeling(study, user=admin)
        print(f"seeded {2 * args.items} examples, a study of {len(study.people_item_ids)} people items, k={k}, "
              f"{labels} labels in {time.perf_counter() - t0:.1f} s", flush=True)

        staff, annotator = Client(), Client()
        staff.force_login(admin)
        annotator.force_login(people[k - 1])  # one of the study's annotators, with half the labeled items to do
        if args.profile:
            _profile(staff, [f"/admin/studio/study/{study.pk}/change/", f"/studies/{study.pk}/",
                             f"/studies/{study.pk}/state.json", "/api/studies/"])
            _profile(annotator, [f"/annotate/{ds.slug}/"])
        trivial, _ = timed(staff, "/accounts/login/", args.repeat)
        admin_ms, _ = timed(staff, f"/admin/studio/study/{study.pk}/change/", args.repeat)
        study_ms, _ = timed(staff, f"/studies/{study.pk}/", args.repeat)
        state_ms, _ = timed(staff, f"/studies/{study.pk}/state.json", args.repeat)
        api_ms, _ = timed(staff, "/api/studies/", args.repeat)
        page_open, next_open, label_open = annotation_pages(annotator, ds, args.repeat)
        studies.close_labeling(study, user=admin)
        page_closed, next_closed, label_closed = annotation_pages(annotator, ds, args.repeat)
        # the same items as the open phase (the study's train items, half labeled): a label's cost grows with the
        # votes its example already has (the dataset's tallies pair every source on it), so the closed phase's
        # unlabeled test items are no like-for-like comparison for the label write
        Dataset.objects.filter(pk=ds.pk).update(annotation_split=study.train_split)
        ds.refresh_from_db()
        _, _, label_closed_same = annotation_pages(annotator, ds, args.repeat)
        trivial_after, _ = timed(staff, "/accounts/login/", args.repeat)
        trivial = statistics.median([trivial, trivial_after])

    print(f"study pages (ms): admin {admin_ms:.1f}  study {study_ms:.1f}  state.json {state_ms:.1f}  "
          f"/api/studies/ {api_ms:.1f}  trivial {trivial:.1f}")
    print(f"annotation (ms), labeling open / closed: page {page_open:.1f} / {page_closed:.1f}  "
          f"next {next_open:.1f} / {next_closed:.1f}  label {label_open:.1f} / {label_closed:.1f} "
          f"(closed, on the open phase's items: {label_closed_same:.1f})")
    print(f"study_scale items={args.items} k={k} labels={labels} admin_ms={admin_ms:.1f} study_ms={study_ms:.1f} "
          f"state_ms={state_ms:.1f} api_list_ms={api_ms:.1f} annotate_open_ms={page_open:.1f} "
          f"annotate_closed_ms={page_closed:.1f} next_open_ms={next_open:.1f} next_closed_ms={next_closed:.1f} "
          f"label_open_ms={label_open:.1f} label_closed_ms={label_closed:.1f} "
          f"label_closed_same_items_ms={label_closed_same:.1f} trivial_ms={trivial:.1f}")


if __name__ == "__main__":
    main()
