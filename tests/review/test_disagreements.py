"""The disagreement table: which examples, filtered by which side matches gold, sorted by model confidence,
people's agreement or position, and walked page by page by keyset without repeats or gaps."""
import importlib
import re
from collections import defaultdict

import pytest

from studio.models import ElicitedLabel, Example, GoldLabel, HumanLabel
from studio.services import review
from tests.review import factories

pytestmark = pytest.mark.django_db


def _walk(ds, a, b, limit=7, **kw):
    rows, after, pages = [], None, 0
    while True:
        page = review.disagreements(ds, "test", a, b, limit=limit, after=after, **kw)
        assert len(page["rows"]) <= limit
        rows.extend(page["rows"])
        pages += 1
        after = page["next"]
        if not after:
            return rows, pages
        assert len(page["rows"]) == limit, "only the last page may be short"


def _source_labels(ds, key):
    if key.startswith("run:"):
        return dict(ElicitedLabel.objects.filter(run_id=int(key[4:]), example__split="test", label__isnull=False)
                    .values_list("example_id", "label"))
    kind = HumanLabel.Source.ANNOTATOR if key == "people" else HumanLabel.Source.CROWD
    votes = defaultdict(lambda: [0, 0])
    for ex, label in HumanLabel.objects.filter(example__dataset=ds, example__split="test", source=kind).values_list(
            "example_id", "label"):
        votes[ex][int(label)] += 1
    return {ex: t > f for ex, (f, t) in votes.items() if t != f}


def _people_share(ds):
    votes = defaultdict(lambda: [0, 0])
    for ex, label in HumanLabel.objects.filter(example__dataset=ds, example__split="test",
                                               source=HumanLabel.Source.ANNOTATOR).values_list("example_id", "label"):
        votes[ex][int(label)] += 1
    return {ex: max(f, t) / (f + t) for ex, (f, t) in votes.items()}


def _expected(ds, a, b, sort, direction, gold_filter="any", score_run=None):
    la, lb = _source_labels(ds, a), _source_labels(ds, b)
    gold = dict(GoldLabel.objects.filter(example__dataset=ds, example__split="test").values_list("example_id", "label"))
    ids = [i for i in la if i in lb and la[i] != lb[i]]
    if gold_filter == "a":
        ids = [i for i in ids if i in gold and la[i] == gold[i]]
    elif gold_filter == "b":
        ids = [i for i in ids if i in gold and lb[i] == gold[i]]
    elif gold_filter == "no_gold":
        ids = [i for i in ids if i not in gold]
    if sort == "confidence":
        run = score_run or int(a[4:])
        scores = dict(ElicitedLabel.objects.filter(run_id=run, score__isnull=False).values_list("example_id", "score"))
        key = {i: abs(scores[i]) if i in scores else -1.0 for i in ids}
    elif sort == "agreement":
        share = _people_share(ds)
        key = {i: share.get(i, -1.0) for i in ids}
    else:
        pos = dict(Example.objects.filter(pk__in=ids).values_list("pk", "position"))
        key = {i: pos[i] for i in ids}
    return sorted(ids, key=lambda i: (key[i], i), reverse=(direction == "desc"))


@pytest.mark.parametrize("sort", ["confidence", "agreement", "position"])
@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_walking_every_page_gives_each_disagreement_once_in_order(reviewed, sort, direction, monkeypatch):
    # small probe chunks, so pages are assembled across several chunks of candidates
    monkeypatch.setattr(importlib.import_module("studio.services.review.disagreements"), "PROBE_FIRST", 3)
    ds, run = reviewed.dataset, reviewed.run
    b = "people" if sort == "agreement" else "crowd"
    expected = _expected(ds, f"run:{run.pk}", b, sort, direction)
    rows, pages = _walk(ds, f"run:{run.pk}", b, sort=sort, direction=direction)
    got = [r["example_id"] for r in rows]
    assert len(got) == len(set(got)), "no example twice"
    assert got == expected, "no gaps, in the table's order"
    assert pages == len(expected) // 7 + 1 and len(expected) > 20
    assert all(r["a"] != r["b"] for r in rows)


def test_keyset_breaks_ties_between_equal_confidences(reviewed):
    """Many rows share the same |score|: the cursor's example id keeps pages from repeating or skipping them."""
    ds = reviewed.dataset
    coarse = factories.completed_run(ds, "test", accuracy=0.6, seed=9)
    for label in ElicitedLabel.objects.filter(run=coarse):
        label.score = (1.0 if label.example_id % 2 else 2.0) * (1 if label.label else -1)
        label.save(update_fields=["score"])
    expected = _expected(ds, f"run:{coarse.pk}", "crowd", "confidence", "desc")
    rows, _ = _walk(ds, f"run:{coarse.pk}", "crowd", limit=5, sort="confidence")
    assert [r["example_id"] for r in rows] == expected and len(expected) > 100


def test_gold_filter_splits_disagreements_by_the_side_that_matches_gold(reviewed):
    ds, key = reviewed.dataset, f"run:{reviewed.run.pk}"
    everything = {r["example_id"] for r in _walk(ds, key, "crowd", limit=50)[0]}
    run_right, _ = _walk(ds, key, "crowd", limit=50, gold="a")
    crowd_right, _ = _walk(ds, key, "crowd", limit=50, gold="b")
    assert all(r["a"] == r["gold"] and r["correct"] == "a" for r in run_right)
    assert all(r["b"] == r["gold"] and r["correct"] == "b" for r in crowd_right)
    # the crowd's majority is the gold label here, so every disagreement is the run's mistake
    assert run_right == [] and {r["example_id"] for r in crowd_right} == everything
    # an example whose gold is unknown lands under "no gold" only
    lost = next(iter(everything))
    GoldLabel.objects.filter(example_id=lost).delete()
    no_gold, _ = _walk(ds, key, "crowd", gold="no_gold")
    assert [r["example_id"] for r in no_gold] == [lost] and no_gold[0]["gold"] is None
    assert lost not in {r["example_id"] for r in _walk(ds, key, "crowd", limit=50, gold="b")[0]}


def test_confidence_of_a_third_run_puts_examples_it_did_not_score_last(reviewed):
    ds = reviewed.dataset
    partial = factories.completed_run(ds, "test", accuracy=0.7, seed=5, unlabeled=0.2)
    dropped = list(ElicitedLabel.objects.filter(run=partial).order_by("pk").values_list("pk", flat=True)[:40])
    ElicitedLabel.objects.filter(pk__in=dropped).delete()  # a run over a subset has no row for the rest
    a, b = f"run:{reviewed.run.pk}", "crowd"
    for direction in ("desc", "asc"):
        expected = _expected(ds, a, b, "confidence", direction, score_run=partial.pk)
        rows, _ = _walk(ds, a, b, limit=6, sort="confidence", direction=direction, score_run=partial.pk)
        assert [r["example_id"] for r in rows] == expected
        unscored = [r["model_score"] is None for r in rows]
        assert any(unscored) and unscored == sorted(unscored, reverse=(direction == "asc"))


def test_total_and_annotator_against_run(reviewed):
    ds, u = reviewed.dataset, reviewed.users[0]
    page = review.disagreements(ds, "test", f"annotator:{u.pk}", f"run:{reviewed.run.pk}", with_total=True, limit=500)
    expected = _expected(ds, f"run:{reviewed.run.pk}", "people", "position", "desc")  # shape check only
    assert page["total"] == len(page["rows"]) > 0 and expected
    annotator = dict(HumanLabel.objects.filter(annotator=u, example__split="test").values_list("example_id", "label"))
    run = _source_labels(ds, f"run:{reviewed.run.pk}")
    assert {r["example_id"] for r in page["rows"]} == {i for i in annotator if i in run and run[i] != annotator[i]}


def test_bad_requests_name_what_is_wrong(reviewed):
    ds, key = reviewed.dataset, f"run:{reviewed.run.pk}"
    with pytest.raises(review.ReviewError, match="malformed page cursor"):
        review.disagreements(ds, "test", key, "crowd", after="not-a-cursor")
    with pytest.raises(review.ReviewError, match="sort must be one of confidence, agreement, position; got 'size'"):
        review.disagreements(ds, "test", key, "crowd", sort="size")
    with pytest.raises(review.ReviewError, match="no label source 'run:999999'"):
        review.disagreements(ds, "test", "run:999999", "crowd")
    with pytest.raises(review.ReviewError, match="two different sources"):
        review.disagreements(ds, "test", "crowd", "crowd")


def test_page_links_to_the_next_page_and_each_example(reviewed, client, admin_user):
    ds, run = reviewed.dataset, reviewed.run
    client.force_login(admin_user)
    url = f"/review/{ds.slug}/disagreements/?split=test&a=run:{run.pk}&b=crowd&limit=10"
    html = client.get(url).content.decode()
    first_ids = re.findall(r'<tr data-example="(\d+)">', html)
    assert len(first_ids) == 10
    nxt = re.search(r'id="next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html2 = client.get(f"/review/{ds.slug}/disagreements/{nxt}").content.decode()
    second_ids = re.findall(r'<tr data-example="(\d+)">', html2)
    assert second_ids and not set(first_ids) & set(second_ids)
    expected = _expected(ds, f"run:{run.pk}", "crowd", "confidence", "desc")
    assert [int(i) for i in first_ids + second_ids] == expected[:len(first_ids) + len(second_ids)]
    counted = client.get(url + "&count=1").content.decode()
    assert f'<span id="disagreement-total">{len(expected)}</span>' in counted
    bad = client.get(f"/review/{ds.slug}/disagreements/?a=run:{run.pk}&b=crowd&after=zzz")
    assert bad.status_code == 400 and b"malformed page cursor" in bad.content


def test_example_detail_shows_every_label_with_who_when_and_how_long(reviewed, client, admin_user):
    ds = reviewed.dataset
    ex_id = HumanLabel.objects.filter(annotator=reviewed.users[0], example__split="test").values_list(
        "example_id", flat=True).first()
    client.force_login(admin_user)
    html = client.get(f"/review/{ds.slug}/examples/{ex_id}/").content.decode()
    ex = Example.objects.get(pk=ex_id)
    assert ex.fields["question"][:40] in html.replace("&#x27;", "'").replace("&quot;", '"')
    for h in HumanLabel.objects.filter(example=ex):
        who = h.annotator.username if h.annotator_id else f"crowd vote #{h.crowd_voter}"
        assert who in html
        if h.seconds_spent is not None:
            assert f"{h.seconds_spent:.1f}" in html
    el = ElicitedLabel.objects.get(run=reviewed.run, example=ex)
    assert f"{el.score:.3f}" in html
    gold = GoldLabel.objects.get(example=ex).label
    assert re.search(rf'class="gold-label {str(gold).lower()}">{gold}<', html)
    detail = review.example_detail(ex)
    assert len(detail["human_labels"]) == HumanLabel.objects.filter(example=ex).count()
    assert detail["evaluation"] is None or len(detail["evaluation"]["predictions"]) == 5


def test_the_links_into_the_table_open_before_any_icm_run(client, admin_user):
    """A study's people label before its ICM run: the dashboard's and the review index's Disagreements links
    (no sort chosen) open the table sorted by the people's agreement; they answered 400 ("sorting by the
    model's confidence needs a completed ICM run")."""
    ds = factories.sst2_review_dataset(train=6, test=2, name="no-run-yet")
    users = factories.annotators(2)
    train = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    factories.annotate(ds, users[:1], train, accuracy=1.0, seed=0)
    factories.annotate(ds, users[1:], train, accuracy=0.5, seed=1)
    client.force_login(admin_user)
    for url in (f"/review/{ds.slug}/disagreements/?split=train", f"/review/{ds.slug}/disagreements/"):
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert 'id="disagreements"' in html and '<option value="agreement" selected>' in html
