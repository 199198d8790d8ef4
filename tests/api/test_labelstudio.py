"""Label Studio interoperability: import a binary choice project's JSON export; export a run as tasks with
the elicited labels as predictions, matching the labeling config the studio gives for the dataset."""
import io
import json
import xml.etree.ElementTree as ET

import pytest

from studio.models import Dataset, GoldLabel, HumanLabel
from studio.services import labelstudio
from studio.services.importing import ImportFailed

from .labelstudio_files import annotation, sentiment_export, task


def as_file(tasks) -> io.BytesIO:
    f = io.BytesIO(json.dumps(tasks).encode())
    f.name = "project-3-at-2025-03-01.json"
    return f


def test_import_a_binary_choice_project(db):
    dataset = labelstudio.import_tasks(as_file(sentiment_export()), name="Reviews from LS", true_choice="Positive",
                                       question="Is the review positive?")
    examples = {ex.external_id: ex for ex in dataset.examples.order_by("position")}
    assert list(examples) == ["1", "2", "3"]
    assert examples["1"].fields == {"text": "A wonderful, moving film."}
    assert "A wonderful, moving film." in examples["1"].prompt
    # Ground truth → gold; everyone else → votes, the same Label Studio user under the same voter number.
    assert dict(GoldLabel.objects.filter(example__dataset=dataset).values_list("example__external_id", "label")) == {
        "1": True}
    votes = set(HumanLabel.objects.filter(example__dataset=dataset).values_list(
        "example__external_id", "crowd_voter", "label", "source"))
    assert votes == {("1", 1, True, "crowd"), ("1", 2, True, "crowd"), ("2", 2, False, "crowd"),
                     ("3", 1, False, "crowd"), ("3", 2, True, "crowd")}


def test_true_false_choices_need_no_true_choice(db):
    tasks = [task(1, "Paris is in France.", [annotation(1, 5, "True")]),
             task(2, "The moon is cheese.", [annotation(2, 5, "False")])]
    dataset = labelstudio.import_tasks(as_file(tasks), name="Claims from LS")
    assert sorted(HumanLabel.objects.filter(example__dataset=dataset).values_list("label", flat=True)) == [False, True]


def two_controls():
    both = annotation(1, 5, "Yes", from_name="a")
    both["result"] += annotation(2, 5, "No", from_name="b")["result"]
    return [task(1, "x", [both])]


@pytest.mark.parametrize("tasks,kwargs,needle", [
    (sentiment_export(), {}, "row 1, field 'true_choice'"),
    (sentiment_export(), {"true_choice": "Great"}, "neither of the project's choices"),
    ([task(1, "x", [annotation(1, 5, "Yes")]), task(2, "y", [annotation(2, 5, "No")]),
      task(3, "z", [annotation(3, 5, "Maybe")])], {}, "row 3"),
    ([{"id": 1, "text": "flat JSON_MIN rows are not the JSON export"}], {}, "`data` object"),
    (two_controls(), {}, "several choice controls"),
])
def test_bad_exports_are_refused_and_write_nothing(db, tasks, kwargs, needle):
    with pytest.raises(ImportFailed) as failed:
        labelstudio.import_tasks(as_file(tasks), name="Refused", **kwargs)
    assert needle in str(failed.value)
    assert not Dataset.objects.filter(name="Refused").exists()
    assert not HumanLabel.objects.exists()


def test_export_run_as_tasks_with_predictions(world):
    client = world.client("reviewer")
    response = client.get(f"/api/runs/{world.run_a.pk}/export/labelstudio/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    tasks = json.loads(b"".join(response.streaming_content))
    assert len(tasks) == len(world.examples_a)
    config = ET.fromstring(client.get(f"/api/datasets/{world.a.pk}/labelstudio-config/").content)
    text_names = {el.get("name") for el in config.iter("Text")}
    choices = config.find("Choices")
    assert choices.get("name") == "label" and choices.get("toName") in text_names
    assert [c.get("value") for c in choices.iter("Choice")] == ["True", "False"]
    by_ext = {ex.external_id: ex for ex in world.examples_a}
    for t in tasks:
        ex = by_ext[t["data"]["icm_example_id"]]
        assert t["data"]["claim"] == ex.fields["claim"]
        elicited = world.run_a.labels.get(example=ex)
        (prediction,) = t["predictions"]
        assert prediction["model_version"] == f"icm-run-{world.run_a.pk}"
        (result,) = prediction["result"]
        assert result["from_name"] == "label" and result["to_name"] == choices.get("toName")
        assert result["value"]["choices"] == ["True" if elicited.label else "False"]
        assert 0.5 < prediction["score"] < 1 and t["meta"]["icm_log_odds"] == elicited.score


def test_exported_tasks_import_back(world, db):
    """Taking the predictions as a person's annotations, the export imports again with the same labels."""
    tasks = json.loads("".join(labelstudio.export_run_tasks(world.run_a)))
    for t in tasks:
        t["annotations"] = [{"completed_by": 1, "result": t.pop("predictions")[0]["result"]}]
    dataset = labelstudio.import_tasks(as_file(tasks), name="Round trip", display_fields=["claim"],
                                       prompt_template="Claim: {claim}\nI think this claim is")
    got = dict(HumanLabel.objects.filter(example__dataset=dataset).values_list("example__fields__icm_example_id",
                                                                                "label"))
    assert got == {el.example.external_id: el.label for el in world.run_a.labels.select_related("example")}
