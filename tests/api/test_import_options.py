"""Import edge cases from issue 16, finding 12: an unknown upload option is refused (not silently dropped), and a
Label Studio annotation whose `value` is not an object is refused naming its row."""
import io
import json

import pytest

from studio.models import Dataset, ImportJob
from studio.services import labelstudio
from studio.services.importing import ImportFailed

from .labelstudio_files import annotation, task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("extra", [{"maping": '{"text": "text"}'}, {"true_choise": "Yes"}])
def test_an_unknown_upload_option_is_refused_naming_it(world, settings, tmp_path, extra):
    settings.MEDIA_ROOT = tmp_path
    f = io.BytesIO(b'{"text": "a"}\n')
    f.name = "data.jsonl"
    form = {"file": f, "name": "New", "mapping": '{"text": "text"}', **extra}
    jobs = ImportJob.objects.count()
    response = world.client("admin").post("/api/imports/", form, format="multipart")
    key = next(iter(extra))
    assert response.status_code == 400 and key in response.json(), response.content[:300]
    assert ImportJob.objects.count() == jobs


@pytest.mark.parametrize("value", ["Yes", ["Yes"], 3])
def test_a_label_studio_value_that_is_not_an_object_names_its_row(value):
    bad = annotation(2, 5, "No")
    bad["result"][0]["value"] = value
    tasks = [task(1, "x", [annotation(1, 5, "Yes")]), task(2, "y", [bad])]
    data = io.BytesIO(json.dumps(tasks).encode())
    data.name = "ls.json"
    with pytest.raises(ImportFailed) as failed:
        labelstudio.import_tasks(data, name="Refused")
    assert failed.value.row == 2 and str(failed.value).startswith("row 2")
    assert not Dataset.objects.filter(name="Refused").exists()


@pytest.mark.parametrize("url", ["/api/human-labels/?label=maybe", "/api/elicited-labels/?label=maybe"])
def test_a_list_filter_with_a_bad_boolean_is_refused(world, url):
    response = world.client("admin").get(url)
    assert response.status_code == 400 and "label" in response.json(), response.content[:300]
    good = world.client("admin").get(url.replace("maybe", "true"))
    assert good.status_code == 200 and all(r["label"] is True for r in good.json()["results"])


def test_annotators_do_not_see_hidden_fields_through_the_prompt(world):
    """The prompt is built from every field; display_fields hide some from annotators (issue 16, finding 12)."""
    for ex in world.examples_a:
        ex.prompt = f"Claim: {ex.fields['claim']}\nNote: {ex.fields['note']}\nI think this claim is"
        ex.save(update_fields=["prompt"])
    body = world.client("annotator").get(f"/api/examples/?dataset={world.a.pk}").content.decode()
    assert "note 1" not in body and '"claim": "Dataset A claim 1"' in body.replace('":"', '": "')
    reviewer = world.client("reviewer").get(f"/api/examples/?dataset={world.a.pk}").json()["results"]
    assert any("Note: note 1" in (r["prompt"] or "") for r in reviewer)
