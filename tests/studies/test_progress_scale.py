"""A study's labeling progress is kept on write (issue 25): state.json (polled every 2 s), the study page and
the labeling page read a few tally rows instead of every label on the study's items (3.4 s for state.json, and
every annotation request 20-40 times slower while labeling was open, at the largest allowed sizes). The same
queries whatever the study's size, no read of the labels for state.json, and counts equal to a recount."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.models import StudyTally
from studio.services import annotation, tallies
from studio.services.studies import create_study, open_labeling, study_steps
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db


def _open_study(admin_user, pairs: int, name: str):
    ds = pairs_dataset(train_pairs=pairs, test_pairs=pairs, name=f"Blog gender {name}")
    who = people(ds, 3, prefix=f"{name}-p")
    study = create_study(ds, "blog-gender", {"name": name, "icm_pool_size": 2 * pairs, "people_train_size": pairs,
                                             "test_size": 2 * pairs, "annotators_per_item": 2}, user=admin_user)
    open_labeling(study, user=admin_user)
    for person in who[:2]:  # a study under way: two people labeled a few pairs each
        for _ in range(3):
            shown = annotation.next_example(person, ds)
            annotation.submit_label(person, shown, True, 2.0)
    return study, who


def _queries(client, fn) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code in (200, 201), response.content[:300]
    return len(queries.captured_queries), [q["sql"] for q in queries.captured_queries]


def test_state_json_and_the_labeling_pages_do_the_same_work_at_any_study_size(admin_user, client):
    counts = []
    for pairs, name in ((3, "small"), (18, "larger")):
        study, who = _open_study(admin_user, pairs, name)
        client.force_login(admin_user)
        n_state, sqls = _queries(client, lambda: client.get(f"/studies/{study.pk}/state.json"))
        assert not [s[:120] for s in sqls if '"studio_humanlabel"' in s]  # counted on write, not read here
        client.force_login(who[2])
        base = f"/annotate/{study.dataset.slug}"
        n_page, _ = _queries(client, lambda: client.get(f"{base}/"))
        n_next, _ = _queries(client, lambda: client.post(f"{base}/next/"))
        counts.append((n_state, n_page, n_next))
    assert counts[0] == counts[1]  # six times the items, the same queries


def test_the_kept_progress_equals_a_recount_after_labels_and_an_undo(admin_user):
    study, who = _open_study(admin_user, 4, "kept")
    annotation.undo_last(who[0], study.dataset)
    kept = {p["username"]: p["labeled"] for p in study_steps(study)[0].detail["people"]}
    cells = sorted(StudyTally.objects.filter(study=study).exclude(n=0).values_list("kind", "ref", "n"))
    tallies.rebuild(study.dataset)  # recounts the study's progress from its labels too
    assert sorted(StudyTally.objects.filter(study=study).exclude(n=0).values_list("kind", "ref", "n")) == cells
    assert not tallies.check(study.dataset)  # the recount command's check covers the study's progress too
    assert kept == {"kept-p0": 2, "kept-p1": 3, "kept-p2": 0}
    header = annotation.progress(who[1], study.dataset)
    assert (header["mine"], header["examples"], header["needed"]) == (3, 6, 12)  # 2 people-train + 4 test pairs, k 2


def test_a_study_made_before_its_items_were_rows_gets_them_when_labeling_opens(admin_user):
    from studio.models import StudyItem

    ds = pairs_dataset(train_pairs=4, test_pairs=4, name="Blog gender older")
    who = people(ds, 2, prefix="older-p")
    study = create_study(ds, "blog-gender", {"name": "older", "icm_pool_size": 8, "people_train_size": 4,
                                             "test_size": 8, "annotators_per_item": 1}, user=admin_user)
    StudyItem.objects.filter(study=study).delete()
    StudyTally.objects.filter(study=study).delete()
    open_labeling(study, user=admin_user)
    assert annotation.next_example(who[0], ds).pk in study.people_item_ids
    assert study_steps(study)[0].detail["units"] == 6


def test_recount_tallies_reports_a_study_count_that_drifted_and_fixes_it(admin_user, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    study, who = _open_study(admin_user, 3, "drift")
    StudyTally.objects.filter(study=study, kind=StudyTally.Kind.ANNOTATOR, ref=who[0].pk).update(n=7)
    with pytest.raises(CommandError, match="1 dataset"):
        call_command("recount_tallies", study.dataset.slug)
    out = capsys.readouterr().out
    assert f"study {study.pk} (units user {who[0].pk} labeled): stored 7, counted 3" in out
    call_command("recount_tallies", study.dataset.slug, "--fix")
    assert not tallies.check(study.dataset)
    kept = {p["username"]: p["labeled"] for p in study_steps(study)[0].detail["people"]}
    assert kept["drift-p0"] == 3
