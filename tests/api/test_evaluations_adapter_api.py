"""A finetune evaluation's LoRA adapter downloaded over the API (issue 22): GET
/api/evaluations/{id}/trained-models/adapter/?condition=…&repeat=… answers a zip of the peft folder and
icm-export.json (fingerprint, label words, prompt rule, how to use it as a model_conditions entry), to a token;
the unzipped adapter scores as the saved one. The adapter is trained on the tiny random Llama the finetune tests
use (tests/engine/training/tiny_model.py; a stand-in for the bundled model in size only). Refused: no or an
unknown condition, a probe, a repeat out of range, a folder outside STUDIO_MODELS_DIR; a link inside the folder is
left out."""
import io
import json
import zipfile

import numpy as np
import pytest

from studio.models import Evaluation
from tests.engine.training import tiny_model

SENTENCES = ["good movie", "bad movie", "great film", "awful film"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from elicitation.backends.hf import HFBackend

    return HFBackend.load(str(tiny_model.build(tmp_path_factory.mktemp("tiny-llama"))), device="cpu")


def _evaluation(world, adapter_record, key="trained:gold"):
    probe = {"kind": "logistic-probe", "coef": [0.1]}
    results = {"measures": ["trained"], "conditions": [
        {"key": key, "kind": "gold", "name": "LoRA finetune trained on gold labels", "measure": "trained",
         "trainer": "finetune", "mean": 0.75, "ci_low": 0.5, "ci_high": 1.0, "n": 4}],
        "trained": {"trainer": "finetune", "train_ids": [[1, 2, 3, 4]], "features": {"model_fingerprint": "f"}},
        "trained_models": {key: [adapter_record], "trained:people": [probe]}}
    return Evaluation.objects.create(dataset=world.a, state="completed", config={"model": "smollm2"}, results=results)


def test_an_adapter_downloads_as_a_zip_that_scores_as_saved_and_path_escapes_are_refused(world, tiny, settings,
                                                                                          tmp_path):
    from elicitation.training.finetune import finetune, score_with_adapter

    settings.STUDIO_MODELS_DIR = tmp_path / "models"
    folder = settings.STUDIO_MODELS_DIR / "evaluations" / "evaluation-1" / "trained-gold-repeat-1"
    prompts = [tiny_model.prompt(s) for s in SENTENCES]
    adapter = finetune(tiny, prompts, [True, False, True, False], out_dir=folder, steps=2, lr=2e-2, rank=2)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for download")
    (folder / "linked.txt").symlink_to(secret)
    ev = _evaluation(world, adapter.to_dict())
    url = f"/api/evaluations/{ev.pk}/trained-models/adapter/"

    response = world.client("reviewer").get(url, {"condition": "trained:gold", "repeat": 1})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    name = f"evaluation-{ev.pk}-trained-gold-repeat-1"
    names = set(archive.namelist())
    assert {f"{name}/adapter/adapter_config.json", f"{name}/adapter/icm-adapter.json",
            f"{name}/icm-export.json"} <= names
    assert not any("linked" in n for n in names), "a link inside the folder is not followed"
    export = json.loads(archive.read(f"{name}/icm-export.json"))
    assert export["base_fingerprint"] == tiny.fingerprint and export["label_words"] == [" True", " False"]
    assert export["train_ids"] == [1, 2, 3, 4] and "log-odds" in export["prompt_rule"]
    assert f'model_conditions: ["{name}"]' in export["as_model_condition"]["how"]
    out = tmp_path / "unzipped"
    archive.extractall(out)
    np.testing.assert_allclose(score_with_adapter(tiny, out / name / "adapter", prompts),
                               score_with_adapter(tiny, folder, prompts), atol=1e-5)

    def refused(params, status, text, role="reviewer", evaluation=ev):
        r = world.client(role).get(f"/api/evaluations/{evaluation.pk}/trained-models/adapter/", params)
        assert r.status_code == status, r.content
        assert r["Content-Type"].startswith("application/json") and text in r.json()["detail"], r.json()

    refused({}, 400, "condition: name the trained condition")
    refused({"condition": "trained:crowd"}, 404, "no trained condition 'trained:crowd'")
    refused({"condition": "trained:people"}, 400, "trained a logistic-probe, not a LoRA adapter")
    refused({"condition": "trained:gold", "repeat": 2}, 400, "repeat must be a whole number from 1 to 1; got 2")
    refused({"condition": "trained:gold", "repeat": "x"}, 400, "repeat must be a whole number")
    refused({"condition": "trained:gold"}, 404, "No", role="outsider")
    for escape in (str(tmp_path), "../../..", str(folder) + "/../../../../.."):
        hostile = _evaluation(world, {**adapter.to_dict(), "path": escape})
        refused({"condition": "trained:gold"}, 404, "not inside the models directory", evaluation=hostile)
    assert world.client("anonymous").get(url, {"condition": "trained:gold"}).status_code in (401, 403)
