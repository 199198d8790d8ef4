"""Expert answers as a label source beside the others: the dashboard's source table (against gold where it
exists) and kappa matrix, the exports, and their refusal as a source to adjudicate."""
import csv
import io
import json

import pytest
from django.test import Client

from studio.models import AdjudicationItem, ElicitedLabel, GoldLabel
from studio.services import adjudication, review
from studio.services.adjudication import AdjudicationError


def answered(world, budget=12, wrong=3):
    """An adjudication on the test split whose expert answers gold, except on the first `wrong` items."""
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": budget}, user=world.admin)
    gold = dict(GoldLabel.objects.values_list("example_id", "label"))
    for i in range(budget):
        item = AdjudicationItem.objects.get(pk=adjudication.next_item(adj, world.expert)["item"])
        answer = gold[item.example_id] if i >= wrong else not gold[item.example_id]
        adjudication.record(adj, world.expert, item.pk, answer)
    return adj


def test_the_dashboard_lists_the_expert_against_gold_and_in_the_kappa_matrix(world):
    adj = answered(world)
    key = f"expert:{adj.pk}"
    data = review.dashboard(world.dataset, "test")
    row = next(s for s in data["sources"] if s["key"] == key)
    assert row["kind"] == "expert" and row["labeled"] == 12
    assert (row["accuracy"]["correct"], row["accuracy"]["n"]) == (9, 12)  # gold on every test item
    assert row["accuracy"]["ci_low"] < 0.75 < row["accuracy"]["ci_high"]
    assert data["expert_note"] and "not the split" in data["expert_note"]
    # the kappa matrix pairs it with the run over the 12 answered items
    keys = data["kappa"]["keys"]
    assert key in keys and adj.source_a in keys
    cell = data["kappa"]["matrix"][keys.index(key)][keys.index(adj.source_a)]
    items = AdjudicationItem.objects.filter(adjudication=adj)
    run = dict(ElicitedLabel.objects.filter(run_id=world.run.pk).values_list("example_id", "label"))
    agree = sum(1 for it in items if run[it.example_id] == it.expert_label)
    assert cell["n"] == 12 and cell["agreement"] == pytest.approx(agree / 12)
    assert cell == data["kappa"]["matrix"][keys.index(adj.source_a)][keys.index(key)]  # symmetric


def test_the_dashboard_page_and_metrics_api_show_the_expert_row(world):
    adj = answered(world, budget=6, wrong=0)
    c = Client()
    c.force_login(world.reviewer)
    page = c.get(f"/review/{world.dataset.slug}/", {"split": "test"}).content.decode()
    assert f'data-source="expert:{adj.pk}"' in page and "on its 6 adjudicated items only" in page
    # the open-an-adjudication form never offers expert answers as a source
    assert f'<option value="expert:{adj.pk}"' not in page
    metrics = c.get(f"/api/datasets/{world.dataset.pk}/metrics/", {"split": "test"}).json()
    assert {s["key"] for s in metrics["sources"]} >= {f"expert:{adj.pk}", adj.source_a, adj.source_b}


def test_expert_answers_are_refused_as_a_source_to_adjudicate(world):
    adj = answered(world, budget=4, wrong=0)
    with pytest.raises(AdjudicationError) as err:
        adjudication.open_adjudication(world.dataset, {"split": "test", "source_b": f"expert:{adj.pk}"},
                                       user=world.admin)
    assert err.value.field == "source_b" and "expert answers" in err.value.message


def test_no_expert_row_without_answers(world):
    adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 4}, user=world.admin)
    data = review.dashboard(world.dataset, "test")
    assert all(s["kind"] != "expert" for s in data["sources"]) and data["expert_note"] == ""
    assert json.dumps(data)  # JSON-safe as ever


def _jsonl(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines() if line]


def test_expert_labels_export_over_rest_one_row_per_answer(world):
    adj = answered(world, budget=8, wrong=2)
    answers = {it.example.external_id: it.expert_label
               for it in AdjudicationItem.objects.filter(adjudication=adj).select_related("example")}
    c = Client()
    c.force_login(world.reviewer)
    base = f"/api/datasets/{world.dataset.pk}/export/expert-labels/"
    rows = _jsonl(c.get(base, {"adjudication": adj.pk}))
    assert {r["id"]: r["label"] for r in rows} == answers and len(rows) == 8
    assert all(r["adjudication"] == adj.pk and r["split"] == "test" for r in rows)
    csv_body = b"".join(c.get(base, {"format": "csv", "style": "sft"}).streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(csv_body)))
    assert len(table) == 8 and {r["id"]: r["completion"].strip() == "True" for r in table} == answers
    assert _jsonl(c.get(base, {"split": "train"})) == []  # the adjudication is on the test split
    refused = c.get(base, {"adjudication": adj.pk + 100})
    assert refused.status_code == 400 and "adjudication" in refused.content.decode()
    assert "expert-labels" in c.get("/api/schema/").content.decode()
    page = c.get(f"/review/{world.dataset.slug}/", {"split": "test"}).content.decode()
    assert f"{base}?adjudication={adj.pk}&amp;format=csv" in page
