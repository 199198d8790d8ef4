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
