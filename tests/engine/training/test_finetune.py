"""The finetune trainer end to end on a tiny random Llama (tiny_model.py, built in a temporary folder; no
download): LoRA adapters through peft learn the source's labels, are saved as a peft folder with the base model's
fingerprint, score through score_with_adapter and train_and_predict, and leave the base model untouched. A stand-in
for the bundled / 8B models only in size: the code path is the one a GPU worker runs."""
import json

import numpy as np
import pytest

from elicitation.errors import InputError
from elicitation.training import train_and_predict, zero_shot_prompt
from elicitation.training.finetune import finetune, score_with_adapter

from . import tiny_model

POSITIVE = ["good movie", "great film", "fine acting", "very good plot", "a great movie", "the film was fine"]
NEGATIVE = ["bad movie", "awful film", "poor acting", "very bad plot", "a poor movie", "the film was awful"]
PROMPTS = [tiny_model.prompt(s) for s in POSITIVE + NEGATIVE]
LABELS = [True] * len(POSITIVE) + [False] * len(NEGATIVE)


def test_lora_learns_the_sources_labels_and_saves_an_adapter(tiny_backend, tmp_path):
    before = tiny_backend.score([zero_shot_prompt(p) for p in PROMPTS])
    steps = []
    adapter = finetune(tiny_backend, PROMPTS, LABELS, out_dir=tmp_path / "adapter", steps=40, lr=2e-2, rank=4,
                       seed=0, batch_size=4, progress=lambda s, t: steps.append(s))
    assert steps[-1] == 40 and len(adapter.losses) == 40
    assert np.mean(adapter.losses[-5:]) < 0.75 * np.mean(adapter.losses[:5])  # falls (batches of 4: noisy)
    folder = tmp_path / "adapter"
    assert (folder / "adapter_config.json").is_file()
    meta = json.loads((folder / "icm-adapter.json").read_text())
    assert meta["base_fingerprint"] == tiny_backend.fingerprint and meta["rank"] == 4 and meta["kind"] == "lora-adapter"
    after = score_with_adapter(tiny_backend, folder, PROMPTS)
    learned = np.mean((after > 0) == np.array(LABELS))
    untrained = np.mean((np.array(before) > 0) == np.array(LABELS))  # the random model alone does not know
    assert learned >= 0.75 and learned > untrained, (learned, untrained)
    # the backend's own model is not modified by training
    np.testing.assert_allclose(tiny_backend.score([zero_shot_prompt(p) for p in PROMPTS]), before, atol=1e-6)


def test_train_and_predict_with_the_finetune_trainer(tiny_backend, tmp_path):
    flipped = [not y for y in LABELS]  # a source that is always wrong trains a model that is always wrong
    out = train_and_predict("finetune", tiny_backend, PROMPTS, flipped, PROMPTS[:4] + PROMPTS[-4:], seed=1,
                            options={"steps": 40, "lr": 2e-2, "rank": 4}, out_dir=tmp_path / "a")
    assert out.labels == [False] * 4 + [True] * 4
    assert out.summary["trainer"] == "finetune" and out.summary["n_train"] == 12
    assert out.artifact["path"] == str(tmp_path / "a")
    with pytest.raises(InputError, match="out_dir"):
        train_and_predict("finetune", tiny_backend, PROMPTS, LABELS, PROMPTS, options={"steps": 1})


def test_an_adapter_is_refused_on_another_base_model(tiny_backend, tmp_path):
    finetune(tiny_backend, PROMPTS[:4], LABELS[:4], out_dir=tmp_path / "a", steps=1, rank=2)
    other = tiny_model.build(tmp_path / "other", seed=1)
    with pytest.raises(InputError, match="was trained on model"):
        score_with_adapter(str(other), tmp_path / "a", PROMPTS[:2])
    with pytest.raises(InputError, match="not an adapter folder"):
        score_with_adapter(tiny_backend, tmp_path / "nothing", PROMPTS[:2])


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps must be"), ({"lr": -1e-3}, "lr must be"), ({"rank": 0}, "rank must be"),
    ({"rank": 1000}, "rank must be"), ({"batch_size": 0}, "batch_size must be"),
])
def test_hostile_finetune_options_are_refused_before_any_work(kwargs, match, tmp_path):
    with pytest.raises(InputError, match=match):
        finetune(str(tmp_path / "no-model-needed"), PROMPTS, LABELS, out_dir=tmp_path / "a", **kwargs)
    assert not (tmp_path / "a").exists()
