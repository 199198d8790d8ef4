"""A finetune evaluation's LoRA adapter as a zip to download (issue 22): the peft folder the trainer saved under
STUDIO_MODELS_DIR plus icm-export.json — the base model's fingerprint, the label words, the prompt rule it was
trained on, and how to use it as a `model_conditions` entry. Only a folder inside STUDIO_MODELS_DIR is read, and
only its plain files (no links, no subfolders): results name the folder, and a folder outside is refused."""
from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings

from studio.services.refusals import NOT_FOUND

from .errors import EvaluationRefused
from .trained_results import trained_models

EXPORT = "icm-export.json"
PROMPT_RULE = ("zero-shot prompt (the example's prompt, then the label question), label words' log-odds at its last "
               "token: log P(true word) − log P(false word); positive means true")


def _merge_recipe(name: str) -> str:
    """Python that merges the unzipped adapter into its base model (BASE: that model's folder) as a model folder."""
    return ("from peft import PeftModel; from transformers import AutoModelForCausalLM, AutoTokenizer; "
            f"m = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(BASE), '{name}/adapter')"
            f".merge_and_unload(); m.save_pretrained(STUDIO_MODELS_DIR + '/{name}'); "
            f"AutoTokenizer.from_pretrained(BASE).save_pretrained(STUDIO_MODELS_DIR + '/{name}')")


def _repeat(value, count: int) -> int:
    try:
        n = int(value if value not in (None, "") else 1)
    except (TypeError, ValueError):
        raise EvaluationRefused(f"repeat must be a whole number from 1 to {count}; got {str(value)[:40]!r}",
                                "repeat") from None
    if not 1 <= n <= count:
        raise EvaluationRefused(f"repeat must be a whole number from 1 to {count}; got {n}", "repeat")
    return n


def _folder(ev, artifact: dict) -> Path:
    root = Path(settings.STUDIO_MODELS_DIR).resolve()
    raw = Path(str(artifact.get("path") or ""))
    folder = (root / raw).resolve()
    if folder == root or root not in folder.parents:
        raise EvaluationRefused(f"evaluation {ev.pk}'s adapter is not inside the models directory "
                                "(STUDIO_MODELS_DIR); it cannot be downloaded", kind=NOT_FOUND)
    if not (folder / "adapter_config.json").is_file():
        raise EvaluationRefused(f"evaluation {ev.pk}'s adapter is no longer in the models directory",
                                kind=NOT_FOUND)
    return folder


def adapter_archive(ev, condition: str | None, repeat=None):
    """(file name, an open binary file holding the zip) of one trained condition's adapter in one repeat
    (1-based; default 1). EvaluationRefused naming the field: no condition given, none such, a probe (its
    weights are in trained_models), a repeat out of range; NOT_FOUND when the folder is gone or outside."""
    if not condition:
        raise EvaluationRefused("condition: name the trained condition whose adapter to download, e.g. "
                                "trained:gold", "condition")
    body = trained_models(ev, condition)
    per_repeat = body["conditions"][condition]["repeats"]
    n = _repeat(repeat, len(per_repeat))
    artifact = per_repeat[n - 1] or {}
    if artifact.get("kind") != "lora-adapter":
        raise EvaluationRefused(f"condition: {condition!r} trained a {artifact.get('kind') or 'probe'}, not a LoRA "
                                "adapter; its weights are in trained-models", "condition")
    folder = _folder(ev, artifact)
    name = f"evaluation-{ev.pk}-{condition.replace(':', '-')}-repeat-{n}"
    export = {
        "evaluation_id": ev.pk, "condition": condition, "name": body["conditions"][condition]["name"], "repeat": n,
        "base_model": body["model"], "base_fingerprint": artifact.get("base_fingerprint"),
        "label_words": artifact.get("label_words") or body["label_words"], "prompt_rule": PROMPT_RULE,
        "train_ids": (body.get("train_ids") or [[]] * n)[n - 1], "adapter": artifact,
        "as_model_condition": {
            "how": "merge the adapter into its base model (same fingerprint), save it inside STUDIO_MODELS_DIR, then "
                   f"start an evaluation with model_conditions: [\"{name}\"] (scored zero-shot, the prompt it was "
                   "trained on)",
            "merge": _merge_recipe(name),
        },
    }
    out = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(folder.iterdir()):
            if f.is_symlink() or not f.is_file() or f.name == EXPORT:
                continue
            archive.write(f, f"{name}/adapter/{f.name}")
        archive.writestr(f"{name}/{EXPORT}", json.dumps(export, indent=1))
    out.seek(0)
    return f"{name}.zip", out
