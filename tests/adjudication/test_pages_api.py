"""Over HTTP: what an adjudicator is served (blind), the dashboard's section and downloads for reviewers, and
/api/adjudications/ (list, open, detail with the estimate, refusals by name, in the OpenAPI schema)."""
import csv
import io
import json

from django.test import Client

from django.db.models import F

from studio.models import Adjudication, AdjudicationItem, GoldLabel
from studio.services import adjudication


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def test_nothing_served_to_an_adjudicator_names_a_source_its_label_a_score_the_stratum_or_gold(world):
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 10}, user=world.admin)
    c = _client(world.expert)
    bodies, payloads = [], []
    for url in ["/adjudicate/", f"/adjudicate/{adj.pk}/"]:
        r = c.get(url)
        assert r.status_code == 200
        bodies.append(r.content.decode())
    base = f"/adjudicate/{adj.pk}"
    skipped = False
    while True:
        r = _post(c, f"{base}/next/", {})
        assert r.status_code == 200
        bodies.append(r.content.decode())
        got = r.json()
        if got["item"] is None:
            break
        payloads.append(got)
        if not skipped:
            r = _post(c, f"{base}/skip/", {"item": got["item"]})
            skipped = True
        else:
            r = _post(c, f"{base}/label/", {"item": got["item"], "label": True, "note": "hm"})
        assert r.status_code == 200, r.content
        bodies.append(r.content.decode())
    bodies.append(_post(c, f"{base}/label/", {"item": payloads[1]["item"], "label": True}).content.decode())  # 409
    bodies.append(_post(c, f"{base}/label/", {"item": "x", "label": True}).content.decode())  # 400
    for raw in ["[" * 5000 + "]" * 5000, "not json", "[1]"]:
        r = c.post(f"{base}/label/", raw, content_type="application/json")
        assert r.status_code == 400 and "JSON object" in r.json()["error"]
    assert len(payloads) == 10
    assert 'href="/adjudicate/">Adjudicate</a>' in bodies[0]  # the adjudicator's way in, in the nav
    forbidden = [adj.source_a, adj.source_b, adj.name_a, adj.name_b, "crowd", "Crowd", "stratum", "disagree",
                 "weight", "score", "gold", "Gold", "label_a", "label_b", "expert_label", "n_disagree", "verdict"]
    for body in bodies:
        for word in forbidden:
            assert word not in body, (word, body[:300])
    # strata are indistinguishable in payload (the same keys, item by item) and in order (ids follow the order)
    strata = dict(AdjudicationItem.objects.filter(adjudication=adj).values_list("pk", "stratum"))
    assert {strata[p["item"]] for p in payloads} == {"disagree", "agree"}
    shapes = {(tuple(sorted(p)), tuple(sorted(p["example"])), p["example"]["layout"]) for p in payloads}
    assert shapes == {(("example", "item", "progress"), ("id", "layout", "pair", "top"), "pair")}
    assert all(set(p["progress"]) == {"adjudicated", "budget", "mine"} for p in payloads)
    orders = dict(AdjudicationItem.objects.filter(adjudication=adj).values_list("pk", "order"))
    assert sorted(orders, key=orders.get) == sorted(orders)
    # and the admin-side pages answer the adjudicator as if they did not exist
    slug = world.dataset.slug
    for url in [f"/review/{slug}/", f"/review/{slug}/adjudications/{adj.pk}/estimate.json",
                f"/review/{slug}/adjudications/{adj.pk}/sample.csv", f"/api/adjudications/{adj.pk}/"]:
        assert c.get(url).status_code == 404, url
    assert c.get("/api/adjudications/").json()["results"] == []


def test_the_dashboard_shows_the_estimate_and_the_sample_downloads(world):
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 8}, user=world.admin)
    gold = dict(GoldLabel.objects.values_list("example_id", "label"))
    for _ in range(5):
        item = AdjudicationItem.objects.get(pk=adjudication.next_item(adj, world.expert)["item"])
        adjudication.record(adj, world.expert, item.pk, gold[item.example_id])
    c = _client(world.reviewer)
    page = c.get(f"/review/{world.dataset.slug}/?split=test").content.decode()
    assert "From 5 expert adjudications, no gold" in page and f"Adjudication {adj.pk}" in page
    assert "Gold, beside it" in page
    assert 'id="open-adjudication"' not in page  # reviewers read; admins open
    est = c.get(f"/review/{world.dataset.slug}/adjudications/{adj.pk}/estimate.json").json()
    assert est["estimate"]["adjudicated"] == 5
    rows = list(csv.DictReader(io.StringIO(b"".join(
        c.get(f"/review/{world.dataset.slug}/adjudications/{adj.pk}/sample.csv").streaming_content).decode())))
    assert len(rows) == 8 and sum(r["expert_label"] != "" for r in rows) == 5
    assert {r["stratum"] for r in rows} <= {"disagree", "agree"} and all(float(r["weight"]) >= 1 for r in rows)
    admin_page = _client(world.admin).get(f"/review/{world.dataset.slug}/?split=test").content.decode()
    assert 'id="open-adjudication"' in admin_page


def test_api_opens_lists_reads_and_refuses_by_name(world):
    c = _client(world.admin)
    r = c.post("/api/adjudications/", {"dataset": world.dataset.slug, "split": "test", "budget": 6},
               content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["budget"] == 6 and body["estimate"]["adjudicated"] == 0 and body["estimate"]["gold"] is not None
    for bad, field in [({"budget": 0}, "budget"), ({"source_a": "run:777"}, "source_a"),
                       ({"source_a": "crowd", "source_b": "crowd"}, "source_b"), ({"colour": "red"}, "colour")]:
        r = c.post("/api/adjudications/", {"dataset": world.dataset.slug, "split": "test", **bad},
                   content_type="application/json")
        assert r.status_code == 400 and field in r.json(), (bad, r.content)
    assert Adjudication.objects.count() == 1
    listed = _client(world.reviewer).get("/api/adjudications/").json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]
    assert _client(world.reviewer).post("/api/adjudications/", {"dataset": world.dataset.slug},
                                        content_type="application/json").status_code == 403
    detail = _client(world.reviewer).get(f"/api/adjudications/{body['id']}/").json()
    assert detail["estimate"]["verdict"].startswith("From 0 expert adjudications, no gold")
    schema = c.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/adjudications/" in schema["paths"] and "post" in schema["paths"]["/api/adjudications/"]


def test_the_admin_lists_an_adjudication_with_its_items_and_verdict(world):
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 3}, user=world.admin)
    c = _client(world.admin)
    assert str(adj.pk) in c.get("/admin/studio/adjudication/").content.decode()
    page = c.get(f"/admin/studio/adjudication/{adj.pk}/change/").content.decode()
    assert "From 0 expert adjudications, no gold" in page and page.count("disagree") + page.count("agree") >= 3
    assert c.get("/admin/studio/adjudication/add/").status_code == 403


def test_expert_answers_are_a_label_source_in_the_disagreement_table(world):
    adj = adjudication.open_adjudication(world.dataset, {"split": "test", "budget": 10}, user=world.admin)
    gold = dict(GoldLabel.objects.values_list("example_id", "label"))
    for _ in range(10):
        item = AdjudicationItem.objects.get(pk=adjudication.next_item(adj, world.expert)["item"])
        adjudication.record(adj, world.expert, item.pk, gold[item.example_id])
    expected = AdjudicationItem.objects.filter(adjudication=adj).exclude(expert_label=F("label_a")).count()
    assert expected > 0
    page = _client(world.reviewer).get(f"/review/{world.dataset.slug}/disagreements/",
                                       {"split": "test", "a": f"expert:{adj.pk}", "b": adj.source_a}).content.decode()
    assert f"Expert (adjudication {adj.pk})" in page
    assert page.count("<tr data-example") == expected
    assert _client(world.reviewer).get(f"/review/{world.dataset.slug}/disagreements/",
                                       {"split": "test", "a": "expert:999", "b": adj.source_a}).status_code == 400
