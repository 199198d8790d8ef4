"""Reading example files (JSON lines) with errors that name the line, and writing output atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import InputError
from .problem import Example


def read_rows(path: str | Path) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; InputError naming the line otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path} line {number}: expected a JSON object, got {type(obj).__name__}")
        rows.append((number, obj))
    if not rows:
        raise InputError(f"{path}: no examples (the file is empty)")
    return rows


def examples_from_rows(path: str | Path, rows: list[tuple[int, dict]]) -> list[Example]:
    """Examples from rows: `id` and `prompt` required, `group` and `key` optional, anything else ignored."""
    seen: dict[str, int] = {}
    out = []
    for number, obj in rows:
        where = f"{path} line {number}"
        if "id" not in obj:
            raise InputError(f"{where}: missing \"id\"")
        ex_id = obj["id"]
        if isinstance(ex_id, bool) or not isinstance(ex_id, (str, int)) or (isinstance(ex_id, str) and not ex_id):
            raise InputError(f"{where}: \"id\" must be a non-empty string or an integer, got {ex_id!r}")
        if str(ex_id) in seen:
            raise InputError(f"{where}: duplicate id {ex_id!r} (first on line {seen[str(ex_id)]})")
        seen[str(ex_id)] = number
        prompt = obj.get("prompt")
        if prompt is None:
            raise InputError(f"{where}: missing \"prompt\"")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError(f"{where}: \"prompt\" must be non-empty text")
        meta = {}
        for name in ("group", "key"):
            value = obj.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
                raise InputError(f"{where}: \"{name}\" must be text or an integer, got {value!r}")
            meta[name] = value
        out.append(Example(ex_id, prompt, meta["group"], meta["key"]))
    return out


GOLD_TEXT = {"true": True, "false": False, "1": True, "0": False}


def read_gold(path: str | Path, rows: list[tuple[int, dict]]) -> dict:
    """id → bool from each row's `gold` field (true/false, 1/0, or those as text)."""
    gold = {}
    for number, obj in rows:
        value = obj.get("gold")
        if isinstance(value, bool):
            parsed = value
        elif isinstance(value, int) and value in (0, 1):
            parsed = bool(value)
        elif isinstance(value, str) and value.strip().lower() in GOLD_TEXT:
            parsed = GOLD_TEXT[value.strip().lower()]
        else:
            raise InputError(f"{path} line {number}: gold-labels needs a \"gold\" field that is true/false or 1/0, "
                             f"got {value!r}")
        gold[obj["id"]] = parsed
    return gold


def write_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_labels(path: str | Path, ids, labels: dict, scores: dict, *, extra: dict | None = None) -> None:
    """One line per id: {"id", "label", "score"} plus, when given, extra[id] (e.g. "kind", "batch")."""
    extra = extra or {}
    lines = [json.dumps({"id": i, "label": labels.get(i), "score": scores.get(i), **extra.get(i, {})},
                        ensure_ascii=False) for i in ids]
    write_atomic(path, "\n".join(lines) + "\n")
