"""Exports: streamed, in the shapes training tools load, with the filters the issue names."""
import csv
import io
import json

import pytest

from studio.models import Dataset, Example, HumanLabel
from studio.services import export, tallies

from .conftest import make_dataset, make_run


def body(response) -> str:
    assert response.status_code == 200, response.content if not response.streaming else response.status_code
    assert response.streaming, "exports are streamed, not built in memory"
    return b"".join(response.streaming_content).decode("utf-8")


def jsonl(response) -> list[dict]:
    assert response["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in body(response).splitlines()]


def expected_labels(world):
    """(id, label, score, split) of run A's labels, in dataset order."""
    rows = []
    for ex in world.examples_a:
        el = world.run_a.labels.get(example=ex)
        rows.append((ex.external_id, el.label, el.score, ex.split))
    return rows


def test_run_export_labels_jsonl(world):
    response = world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/?format=jsonl&style=labels")
    assert 'filename="dataset-a-run' in response["Content-Disposition"]
    rows = jsonl(response)
    assert [(r["id"], r["label"], r["score"], r["split"]) for r in rows] == expected_labels(world)
    first = world.examples_a[0]
    assert rows[0] == {"id": first.external_id, "split": first.split, "claim": first.fields["claim"],
                       "note": first.fields["note"], "label": rows[0]["label"], "score": rows[0]["score"],
                       "confidence": rows[0]["score"] if rows[0]["label"] else -rows[0]["score"],
                       "kind": "elicited", "batch": 0}


def test_run_export_csv(world):
    text = body(world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/?format=csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["id", "split", "claim", "note", "label", "score", "confidence", "kind", "batch"]
    assert [(r["id"], r["label"] == "true", float(r["score"]), r["split"]) for r in rows] == expected_labels(world)


def test_run_export_sft_uses_the_label_words(world):
    world.a.true_word, world.a.false_word = " Yes", " No"
    world.a.save()
    rows = jsonl(world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/?style=sft"))
    by_id = {ex.external_id: ex for ex in world.examples_a}
    for row in rows:
        label = world.run_a.labels.get(example=by_id[row["id"]]).label
        assert row["prompt"] == by_id[row["id"]].prompt
        assert row["completion"] == (" Yes" if label else " No")
    assert len(rows) == len(world.examples_a)


def test_unlabeled_examples_are_left_out(world):
    world.run_a.labels.filter(example=world.examples_a[1]).update(label=None, score=None)
    rows = jsonl(world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/"))
    assert world.examples_a[1].external_id not in {r["id"] for r in rows} and len(rows) == 5


def test_filters_min_confidence_and_split(world):
    """min_confidence keeps labels whose score agrees with them by at least the threshold: a False label with
    score +5 (it disagrees with its score) is left out, though |score| is above the threshold."""
    world.run_a.labels.filter(example=world.examples_a[4]).update(label=False, score=5.0)
    client = world.client("reviewer")
    rows = jsonl(client.get(f"/api/runs/{world.run_a.pk}/export/?min_confidence=3.5"))
    # run A's (label, score): (F, -1) (T, 2) (T, 3) (F, -4) (F, +5) (T, 6)
    assert [r["id"] for r in rows] == [world.examples_a[i].external_id for i in (3, 5)]
    assert [(r["label"], r["score"], r["confidence"]) for r in rows] == [(False, -4.0, 4.0), (True, 6.0, 6.0)]
    everything_agreeing = jsonl(client.get(f"/api/runs/{world.run_a.pk}/export/?min_confidence=0&format=jsonl"))
    assert world.examples_a[4].external_id not in {r["id"] for r in everything_agreeing}
    assert len(everything_agreeing) == 5
    rows = jsonl(client.get(f"/api/runs/{world.run_a.pk}/export/?split=test"))
    assert {r["split"] for r in rows} == {"test"} and len(rows) == 2


def test_filter_agreement_with_peoples_majority(world):
    """People's majority = studio annotators' strict majority (the dashboard's definition); ties and
    examples without votes neither agree nor disagree; imported crowd votes do not count."""
    users, exs = world.users, world.examples_a
    other = world.extra["other_annotator"]
    HumanLabel.objects.all().delete()
    labels = {ex.pk: world.run_a.labels.get(example=ex).label for ex in exs}
    # ex0: both annotators agree with the model; ex1: both disagree; ex2: a tie; ex3: crowd only (no majority).
    for user in (users["annotator"], other):
        HumanLabel.objects.create(example=exs[0], annotator=user, label=labels[exs[0].pk])
        HumanLabel.objects.create(example=exs[1], annotator=user, label=not labels[exs[1].pk])
    HumanLabel.objects.create(example=exs[2], annotator=users["annotator"], label=True)
    HumanLabel.objects.create(example=exs[2], annotator=other, label=False)
    HumanLabel.objects.create(example=exs[3], source="crowd", crowd_voter=1, label=labels[exs[3].pk])
    tallies.rebuild(world.a)  # the labels above went past the services
    client = world.client("reviewer")
    agree = jsonl(client.get(f"/api/runs/{world.run_a.pk}/export/?agreement=agree"))
    disagree = jsonl(client.get(f"/api/runs/{world.run_a.pk}/export/?agreement=disagree"))
    assert [r["id"] for r in agree] == [exs[0].external_id]
    assert [r["id"] for r in disagree] == [exs[1].external_id]


def test_human_label_exports(world):
    exs, other = world.examples_a, world.extra["other_annotator"]
    HumanLabel.objects.create(example=exs[3], annotator=world.users["annotator"], label=False)
    HumanLabel.objects.create(example=exs[3], annotator=other, label=False)
    tallies.rebuild(world.a)  # the labels above went past the services
    client = world.client("reviewer")
    base = f"/api/datasets/{world.a.pk}/export/human-labels/"
    majority = jsonl(client.get(base))  # ex0 is a 1–1 tie: left out
    assert [(r["id"], r["label"], r["votes_true"], r["votes_false"]) for r in majority] == [
        (exs[3].external_id, False, 0, 2)]
    crowd = jsonl(client.get(base + "?mode=crowd_majority"))
    assert [(r["id"], r["label"]) for r in crowd] == [(exs[1].external_id, True)]
    per = jsonl(client.get(base + "?mode=annotator"))
    assert sorted((r["id"], r["annotator"], r["label"]) for r in per) == sorted([
        (exs[0].external_id, "ann", True), (exs[0].external_id, "ann2", False), (exs[1].external_id, "crowd#1", True),
        (exs[3].external_id, "ann", False), (exs[3].external_id, "ann2", False)])
    one = jsonl(client.get(base + "?mode=annotator&annotator=ann2&style=sft"))
    assert [(r["id"], r["completion"]) for r in one] == [(exs[0].external_id, " False"), (exs[3].external_id, " False")]


def test_gold_export_for_admins(world):
    rows = jsonl(world.client("admin").get(f"/api/datasets/{world.a.pk}/export/gold/?split=train"))
    by_id = {ex.external_id: ex for ex in world.examples_a}
    assert rows and all(r["split"] == "train" for r in rows)
    assert all(r["label"] is world.gold_a[by_id[r["id"]].pk] for r in rows)
    assert len(rows) == sum(1 for ex in world.examples_a if ex.split == "train")


def test_field_names_that_clash_with_columns_are_renamed(db):
    ds = Dataset.objects.create(name="Clash", slug="clash", prompt_template="{text}")
    Example.objects.create(dataset=ds, external_id="x1", position=0, prompt="p",
                           fields={"id": "inner id", "label": "a field called label", "text": "t"})
    run = make_run(ds, list(ds.examples.all()))
    row = json.loads("".join(export.export_run(run, "jsonl", "labels")))
    assert row["id"] == "x1" and row["field_id"] == "inner id" and row["field_label"] == "a field called label"
    assert isinstance(row["label"], bool)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_reads_rows_as_it_sends_them(world, monkeypatch, fmt):
    """A streamed export pulls rows from the database one chunk at a time: with one row per chunk, the response
    exists before any row is read, and its first chunk has pulled one row, not the whole run."""
    from django.http import StreamingHttpResponse

    from studio.services.export import sources, writers

    pulled = []
    real_run_records = sources.run_records

    def counted(*args, **kwargs):
        for record in real_run_records(*args, **kwargs):
            pulled.append(record)
            yield record

    monkeypatch.setattr(sources, "run_records", counted)
    monkeypatch.setattr(writers, "BATCH_ROWS", 1)
    response = world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/export/?format={fmt}")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert pulled == []
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first and len(pulled) == 1, f"the first chunk pulled {len(pulled)} rows"
    rest = b"".join(chunks)
    assert len(pulled) == len(world.examples_a) > 2
    assert (first + rest).count(b"\n") == len(world.examples_a) + (fmt == "csv")  # csv: a header line


@pytest.fixture
def hf_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path


def test_jsonl_loads_with_hugging_face_datasets(world, hf_offline):
    from datasets import load_dataset

    client = world.client("admin")
    paths = {}
    for style in ("labels", "sft"):
        path = hf_offline / f"{style}.jsonl"
        path.write_text(body(client.get(f"/api/runs/{world.run_a.pk}/export/?style={style}")))
        paths[style] = path
    gold = hf_offline / "gold.jsonl"
    gold.write_text(body(client.get(f"/api/datasets/{world.a.pk}/export/gold/")))

    labels = load_dataset("json", data_files=str(paths["labels"]), split="train", cache_dir=str(hf_offline / "c"))
    assert labels.num_rows == len(world.examples_a)
    assert set(labels.column_names) == {"id", "split", "claim", "note", "label", "score", "confidence", "kind",
                                        "batch"}
    assert labels.filter(lambda r: r["kind"] == "filled").num_rows == 2  # a training script can drop them
    assert labels.features["label"].dtype == "bool"
    assert labels[0]["id"] == world.examples_a[0].external_id
    sft = load_dataset("json", data_files=str(paths["sft"]), split="train", cache_dir=str(hf_offline / "c"))
    assert sft.column_names == ["id", "prompt", "completion", "kind", "batch"]
    assert set(sft["completion"]) <= {" True", " False"}
    g = load_dataset("json", data_files=str(gold), split="train", cache_dir=str(hf_offline / "c"))
    assert g.num_rows == len(world.examples_a)


def test_other_datasets_runs_export_for_reviewer_is_404(world):
    assert world.client("reviewer").get(f"/api/runs/{world.run_b.pk}/export/").status_code == 404


def test_claim_dataset_with_comparison_style(world):
    b, exs, _ = make_dataset("Pairs", 2, task_type="comparison")
    run = make_run(b, exs)
    with pytest.raises(export.ExportError, match="prompt and two responses"):
        export.export_run(run, "jsonl", "preference")


def _kinds(world) -> dict:
    """external id -> (kind, batch) of run A's labels, as stored."""
    return {el.example.external_id: (el.kind, el.batch) for el in world.run_a.labels.select_related("example")}


@pytest.mark.parametrize("style", ["labels", "sft"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_every_run_export_row_says_whether_its_label_was_elicited_or_filled(world, fmt, style):
    """Run A has two filled labels (examples 3 and 4, batch 1); every row, in every format and style, names
    its kind and batch, and filled=exclude leaves exactly those two rows out."""
    client = world.client("reviewer")

    def rows(extra=""):
        response = client.get(f"/api/runs/{world.run_a.pk}/export/?format={fmt}&style={style}{extra}")
        if fmt == "jsonl":
            return jsonl(response)
        return [{**r, "batch": int(r["batch"])} for r in csv.DictReader(io.StringIO(body(response)))]

    every = rows()
    stored = _kinds(world)
    assert {r["id"]: (r["kind"], r["batch"]) for r in every} == stored
    filled_ids = {ext for ext, (kind, _) in stored.items() if kind == "filled"}
    assert filled_ids == {world.examples_a[3].external_id, world.examples_a[4].external_id}
    kept = rows("&filled=exclude")
    assert [r["id"] for r in kept] == [r["id"] for r in every if r["id"] not in filled_ids]
    assert {r["kind"] for r in kept} == {"elicited"}
    assert rows("&filled=include") == every


def test_preference_export_rows_carry_kind_and_batch(db):
    ds, examples, _ = make_dataset("Pairs", 4, task_type="comparison")
    for ex in examples:
        ex.fields = {"question": "q", "choice": f"first {ex.position}", "choice_2": f"second {ex.position}"}
        ex.save(update_fields=["fields"])
    run = make_run(ds, examples, filled=(1,), batch_size=2)
    rows = [json.loads(line) for line in "".join(export.export_run(run, "jsonl", "preference")).splitlines()]
    assert [(r["kind"], r["batch"]) for r in rows] == [("elicited", 0), ("filled", 0), ("elicited", 1), ("elicited", 1)]
    kept = "".join(export.export_run(run, "jsonl", "preference", export.ExportFilters(filled="exclude")))
    assert len(kept.splitlines()) == 3 and "first 1" not in kept and "second 1" not in kept


@pytest.mark.parametrize("path", ["export/", "export/labelstudio/"])
def test_a_bad_filled_option_is_refused_naming_the_choices(world, path):
    response = world.client("reviewer").get(f"/api/runs/{world.run_a.pk}/{path}?filled=no")
    assert response.status_code == 400
    assert response.json()["filled"] == ['Expected include or exclude; got "no".']
    with pytest.raises(export.ExportError, match="filled must be 'include' or 'exclude', got 'drop'"):
        export.ExportFilters(filled="drop")


def test_the_schema_documents_the_filled_option(world):
    schema = world.client("reviewer").get("/api/schema/?format=json").json()
    for path in ("/api/runs/{id}/export/", "/api/runs/{id}/export/labelstudio/"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["filled"]["schema"]["enum"] == ["include", "exclude"]
        assert "filled labels" in params["filled"]["description"]
    label = schema["components"]["schemas"]["ElicitedLabel"]["properties"]
    assert {"kind", "batch"} <= set(label)
