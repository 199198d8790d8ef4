"""The finetune trainer selected end to end (issue 22): an evaluation with `trainer: "finetune"` trains a LoRA
adapter per trained condition on the real bundled model (CPU, 2 steps: a smoke of the path, not of accuracy),
saves it under STUDIO_MODELS_DIR, predicts the test items with it, and lists the adapter for download."""
import json
from pathlib import Path

import pytest

from studio.services import evaluation
from tests.review import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_an_evaluation_finetunes_lora_adapters_and_keeps_them(settings, tmp_path):
    settings.STUDIO_MODELS_DIR = tmp_path / "models"
    ds = factories.sst2_review_dataset(train=8, test=4, name="sst2-finetune")
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    ev = evaluation.start_evaluation(ds, options={"measures": ["trained"], "trainer": "finetune",
                                                  "finetune_steps": 2, "repeats": 1,
                                                  "conditions": "zero-shot icm gold"}, enqueue=False)
    ev = evaluation.execute_evaluation(ev.pk)
    assert ev.state == "completed", ev.error
    rows = {c["key"]: c for c in ev.results["conditions"]}
    assert list(rows) == ["zero-shot", f"trained:run:{run.pk}", "trained:gold"]
    gold = rows["trained:gold"]
    assert gold["name"] == "LoRA finetune trained on gold labels" and gold["trainer"] == "finetune"
    assert gold["fits"][0]["steps"] == 2 and gold["n"] == 4 and len(gold["predictions"][0]) == 4
    assert ev.results["verdict"].startswith("Trained measure (finetune): ")
    exported = evaluation.trained_models(ev)
    assert exported["trainer"] == "finetune"
    for key in (f"trained:run:{run.pk}", "trained:gold"):
        adapter = exported["conditions"][key]["repeats"][0]
        folder = Path(adapter["path"])
        assert adapter["kind"] == "lora-adapter" and folder.is_relative_to(settings.STUDIO_MODELS_DIR)
        assert (folder / "adapter_config.json").is_file()
        assert json.loads((folder / "icm-adapter.json").read_text())["steps"] == 2
