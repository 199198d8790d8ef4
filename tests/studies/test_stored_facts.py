"""The study page reads its item sets' descriptions and its estimates from the study's row (issue 25): they read
every prompt of up to 100,000 items per view (38 s at the largest allowed sizes). Computed when the study is
created, again when its settings change; the page says when."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.models import Study
from studio.services.studies import create_study, start_icm
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db


def _study(admin_user, pairs: int, name: str) -> Study:
    ds = pairs_dataset(train_pairs=pairs, test_pairs=pairs, name=f"Blog gender {name}")
    people(ds, 2, prefix=f"{name}-p")
    return create_study(ds, "blog-gender", {"name": name, "icm_pool_size": 2 * pairs, "people_train_size": pairs,
                                            "test_size": 2 * pairs, "annotators_per_item": 1}, user=admin_user)


def _reads_items(queries) -> list[str]:
    """Queries that read the examples' prompts (the estimates) or list an item set by its ids (its description):
    the work the page no longer does per view."""
    id_list = re.compile(r"IN \((?:\s*\d+\s*,){3,}")
    return [q["sql"][:160] for q in queries.captured_queries
            if '"studio_example"."prompt"' in q["sql"] or id_list.search(q["sql"])]


def test_the_study_page_reads_its_estimates_and_item_sets_instead_of_computing_them(admin_user, client):
    client.force_login(admin_user)
    counts = []
    for pairs, name in ((4, "small"), (24, "larger")):
        study = _study(admin_user, pairs, name)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/studies/{study.pk}/")
        assert page.status_code == 200
        assert not _reads_items(queries)
        text = page.content.decode()
        assert study.facts["estimates"]["evaluation"]["text"].split(" (")[0] in text
        assert "estimated " in text  # with its date
        assert f"ICM will label the train pool ({len(study.icm_pool_ids)} examples)" in text
        counts.append(len(queries.captured_queries))
        # the page and state.json (polled every 2 s) count the item sets; they never load the id lists (up to
        # 100,000 ids each, about 30 ms per list at that size)
        with CaptureQueriesContext(connection) as state_queries:
            assert client.get(f"/studies/{study.pk}/state.json").status_code == 200
        loaded = [q["sql"][:120] for q in [*queries.captured_queries, *state_queries.captured_queries]
                  if '"studio_study"."icm_pool_ids"' in q["sql"] or '"studio_study"."test_ids"' in q["sql"]]
        assert not loaded, loaded
    assert counts[0] == counts[1]  # six times the items, the same queries


def test_new_settings_give_a_new_estimate(admin_user, client, monkeypatch):
    study = _study(admin_user, 4, "resettled")
    before = dict(study.facts["estimates"])
    Study.objects.filter(pk=study.pk).update(settings={**study.settings, "iterations": 3})
    client.force_login(admin_user)
    assert client.get(f"/studies/{study.pk}/").status_code == 200
    after = Study.objects.get(pk=study.pk).facts["estimates"]
    assert after["inputs"]["settings"]["iterations"] == 3
    assert after["computed_at"] > before["computed_at"] and after["icm"]["text"] != before["icm"]["text"]


def test_a_relearned_throughput_gives_a_new_estimate_once(admin_user, client):
    """A finished evaluation of the study's model re-learns its evaluation throughput: the next view computes the
    estimates again (a new date and seconds), the view after that reads them."""
    from studio.models import Evaluation

    study = _study(admin_user, 4, "relearned")
    before = dict(study.facts["estimates"])
    Evaluation.objects.create(dataset=study.dataset, state=Evaluation.State.COMPLETED,
                              config={"model": study.model}, results={"tokens": 10, "seconds": 1000.0})
    client.force_login(admin_user)
    assert client.get(f"/studies/{study.pk}/").status_code == 200
    after = Study.objects.get(pk=study.pk).facts["estimates"]
    assert after["computed_at"] > before["computed_at"]
    assert after["evaluation"]["seconds"] > before["evaluation"]["seconds"]  # 0.01 tokens/s: far slower
    assert client.get(f"/studies/{study.pk}/").status_code == 200
    assert Study.objects.get(pk=study.pk).facts["estimates"]["computed_at"] == after["computed_at"]


def test_two_views_storing_different_facts_at_once_keep_both(admin_user):
    """Each view works on the study as it loaded it; storing one fact keeps the ones another view stored since."""
    from studio.services.studies import item_counts, stored_facts

    study = _study(admin_user, 4, "together")
    Study.objects.filter(pk=study.pk).update(facts={})
    first, second = Study.objects.get(pk=study.pk), Study.objects.get(pk=study.pk)  # both see no facts
    sizes = item_counts.sizes(first)
    items = stored_facts.items(second)
    assert Study.objects.get(pk=study.pk).facts == {"sizes": sizes, "items": items}
    assert sizes["icm_pool_ids"] == len(study.icm_pool_ids)
