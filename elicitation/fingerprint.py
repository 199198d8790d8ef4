"""Which model a search state was made with, so that a checkpoint is never resumed with another model.

The state caches scores by prompt text; a run resumed with another model would silently reuse the first
model's scores. A backend's `fingerprint` names its weights cheaply and stably:

- a model folder (or .gguf file): sha256 over the sorted (relative path, size, sha256 of the first and last
  MiB) of its weight, config and tokenizer files — the same files copied elsewhere give the same fingerprint;
- a remote OpenAI-compatible server: sha256 of its base URL and model name (the server's weights are out of
  sight).
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

from .errors import InputError

MIB = 1 << 20
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt", ".h5", ".msgpack", ".model")
OTHER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt")
SHOWN = 12  # hex digits of a fingerprint shown in messages


class CheckpointWarning(UserWarning):
    """A checkpoint the engine accepts but cannot fully check (made before checkpoints recorded the model)."""


def _file_digest(path: Path) -> str:
    size = path.stat().st_size
    h = hashlib.sha256()
    with path.open("rb") as f:
        h.update(f.read(MIB))
        if size > MIB:
            f.seek(max(MIB, size - MIB))
            h.update(f.read(MIB))
    return h.hexdigest()


def _model_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = [p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                                                                    p.relative_to(root).parts)
             and (p.name.endswith(WEIGHT_SUFFIXES) or p.name in OTHER_FILES)]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def folder_fingerprint(path: str | Path) -> str | None:
    """The fingerprint of a model folder or single weight file; None when the path holds no weight file."""
    root = Path(path).expanduser()
    if not root.exists():
        return None
    files = _model_files(root)
    if not any(p.name.endswith(WEIGHT_SUFFIXES) for p in files):
        return None
    rows = [[p.name if root.is_file() else p.relative_to(root).as_posix(), p.stat().st_size, _file_digest(p)]
            for p in files]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def hub_folder(name: str) -> str | None:
    """The local snapshot folder of a Hugging Face model name, if it is in the local cache."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception:  # not cached, not a valid name, or huggingface_hub missing: the name alone is used
        return None


def model_fingerprint(path_or_name: str) -> str:
    """A loaded model's fingerprint: its folder's, else (a Hugging Face name outside the local cache) the
    name's own hash."""
    folder = path_or_name if Path(path_or_name).expanduser().exists() else hub_folder(path_or_name)
    found = folder_fingerprint(folder) if folder else None
    return found or hashlib.sha256(f"name:{path_or_name}".encode()).hexdigest()


def remote_fingerprint(base_url: str, model: str) -> str:
    return hashlib.sha256(f"remote:{base_url.rstrip('/')}|{model}".encode()).hexdigest()


def model_identity(backend) -> dict:
    """What a state records about the model: {"name": ..., "fingerprint": ... or None}."""
    fp = getattr(backend, "fingerprint", None)
    return {"name": str(getattr(backend, "name", type(backend).__name__)), "fingerprint": fp}


def _describe(identity: dict) -> str:
    fp = identity.get("fingerprint")
    return f"{identity.get('name')!r}" + (f" (fingerprint {fp[:SHOWN]}…)" if fp else " (no fingerprint)")


def check_model(recorded: dict | None, backend) -> None:
    """Refuse to resume a state made with another model; warn (CheckpointWarning) for an old state that did
    not record one. Same fingerprint ⇒ same model, whatever its name ("smollm2" or its cache folder)."""
    current = model_identity(backend)
    if not recorded:
        warnings.warn(f"this checkpoint does not record its model (made by an older version); resuming with "
                      f"{_describe(current)} on trust: if it was made with another model, its cached scores are "
                      f"that model's", CheckpointWarning, stacklevel=3)
        return
    theirs, ours = recorded.get("fingerprint"), current["fingerprint"]
    same = theirs == ours if (theirs and ours) else recorded.get("name") == current["name"]
    if not same:
        raise InputError(f"this checkpoint was made with model {_describe(recorded)}; resuming with "
                         f"{_describe(current)} would reuse {recorded.get('name')!r}'s cached scores: resume with "
                         f"that model, or start a new run without the checkpoint")
