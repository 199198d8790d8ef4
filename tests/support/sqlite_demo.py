"""Processes for the SQLite concurrency test, each a separate Django process on the demo's settings (studio.settings
with DATABASE_URL pointing at a file database), as `make demo` runs its web server and worker:

    python -m tests.support.sqlite_demo setup      # migrate, a dataset, five annotators, a run: prints JSON
    python -m tests.support.sqlite_demo writer RUN  # an ICM batch's writes (stand-in for the search, see below)
    python -m tests.support.sqlite_demo report      # what the database holds: prints JSON

The writer stands in for the worker's engine (the bundled model's search is not what this test measures): it
writes what a batch writes, through the run services, at a batch's pace: progress (ProgressRecorder: the batch's
fields, its RunEvents, the run's totals), its labels (results.write_labels), and at the end the run's completion
with the recount a finishing run does (tallies.rebuild)."""
from __future__ import annotations

import json
import os
import sys
import time

EXAMPLES = 15
OVERLAP = 3
ANNOTATORS = 5
PASSWORD = "sqlite-demo-pass-123"
WRITER_STEPS = 40


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    import django

    django.setup()


def setup() -> dict:
    _django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from studio.models import Dataset, ElicitationRun, Example, Membership, RunBatch
    from studio.services import tallies

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        journal = cur.fetchone()[0]
    ds = Dataset.objects.create(name="Demo claims", slug="demo-claims", question="Is the claim true?",
                                prompt_template="{claim}\nI think this claim is", display_fields=["claim"],
                                annotation_overlap=OVERLAP)
    Example.objects.bulk_create(Example(dataset=ds, external_id=f"c{i}", split="train", position=i,
                                        fields={"claim": f"Claim {i}."}, prompt=f"Claim {i}.\nI think this claim is")
                                for i in range(EXAMPLES))
    tallies.rebuild(ds)
    users = []
    for k in range(ANNOTATORS):
        user = get_user_model().objects.create_user(f"demo-ann{k}", password=PASSWORD)
        Membership.objects.create(user=user, dataset=ds, role=Membership.Role.ANNOTATOR)
        users.append(user.username)
    run = ElicitationRun.objects.create(dataset=ds, state=ElicitationRun.State.RUNNING, fingerprint="sqlite-demo",
                                        example_ids=list(ds.examples.values_list("pk", flat=True)))
    RunBatch.objects.create(run=run, index=0, seed=0, example_ids=run.example_ids, worker="standin-worker",
                            phase=RunBatch.Phase.SEARCHING)
    return {"slug": ds.slug, "run": run.pk, "users": users, "password": PASSWORD, "journal": journal}


def writer(run_id: int) -> dict:
    _django()
    from django.db import transaction
    from django.utils import timezone

    from studio.models import ElicitationRun, ElicitedLabel, RunBatch
    from studio.services import tallies
    from studio.services.engine_port.events import EngineEvent
    from studio.services.runs.progress import ProgressRecorder, refresh_run_totals
    from studio.services.runs.results import write_labels

    run = ElicitationRun.objects.get(pk=run_id)
    batch = RunBatch.objects.get(run=run, index=0)
    ids = list(run.example_ids)
    recorder = ProgressRecorder(batch, "standin-worker", gold={}, min_interval=0.0)
    labels: dict[str, bool] = {}
    for step in range(WRITER_STEPS):
        flip = ids[step % len(ids)]
        labels[str(flip)] = step % 3 != 0
        recorder.on_event(EngineEvent(iteration=step + 1, energy=-float(step), accepted_flips=step,
                                      inconsistencies=0, labeled_count=len(labels),
                                      labels=dict(labels) if step == 0 else None, changes={str(flip): labels[str(flip)]}))
        if step % 5 == 4:  # the batch's labels so far, as a checkpointing batch writes them
            write_labels(run.pk, ids, labels, {k: 1.0 for k in labels}, batch=0)
        time.sleep(0.02)
    recorder.flush()
    with transaction.atomic():  # the run finishes: its labels, its state, the recount
        ElicitationRun.objects.select_for_update().get(pk=run.pk)
        write_labels(run.pk, ids, labels, {k: 1.0 for k in labels}, batch=0)
        ElicitationRun.objects.filter(pk=run.pk).update(state=ElicitationRun.State.COMPLETED, finished_at=timezone.now())
        tallies.rebuild(run.dataset_id)
    refresh_run_totals(run.pk)
    stored = ElicitedLabel.objects.filter(run=run, label__isnull=False).count()
    return {"events": recorder.events_written, "labels": len(labels), "stored": stored}


def report() -> dict:
    _django()
    from django.utils import timezone

    from studio.models import AnnotationClaim, Dataset, ElicitationRun, HumanLabel
    from studio.services import tallies

    ds = Dataset.objects.get(slug="demo-claims")
    labels = list(HumanLabel.objects.filter(example__dataset=ds).values_list("annotator__username", "example_id",
                                                                           "label"))
    claims = list(AnnotationClaim.objects.filter(example__dataset=ds, expires_at__gt=timezone.now())
                  .values_list("annotator__username", flat=True))
    run = ElicitationRun.objects.get(dataset=ds)
    return {"labels": labels, "claims": claims, "run_state": run.state, "events": run.events.count(),
            "tallies_differ": bool(tallies.check(ds))}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        out = setup()
    elif command == "writer":
        out = writer(int(sys.argv[2]))
    else:
        out = report()
    print("RESULT " + json.dumps(out))
