"""The command line refuses bad input before loading any model: the message names the line, the exit status
is non-zero, and no output file is written. (Runs with the real model are in test_real_model.py.)"""
import json
from pathlib import Path

import pytest

from .commands import run_elicitation, small_env


def run(*args, cwd=None):
    return run_elicitation(*args, timeout=120, env=small_env(), cwd=cwd)


def write(path: Path, lines) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


GOOD = {"id": "a", "prompt": "Sentence: fine .\nI think this claim is "}


@pytest.mark.parametrize("lines,line_no,words", [
    ([GOOD, {"id": "b"}], 2, 'missing "prompt"'),
    ([GOOD, {"id": "b", "prompt": "x"}, {"id": "a", "prompt": "y"}], 3, "duplicate id 'a' (first on line 1)"),
    ([GOOD, "{not json"], 2, "not valid JSON"),
    ([GOOD, '["a", "list"]'], 2, "expected a JSON object"),
    ([GOOD, {"prompt": "no id"}], 2, 'missing "id"'),
    ([GOOD, {"id": "b", "prompt": ""}], 2, '"prompt" must be non-empty'),
    ([GOOD, {"id": "b", "prompt": "x", "group": {"nested": 1}}], 2, '"group" must be text'),
])
def test_label_refuses_bad_lines_naming_them_and_writes_nothing(tmp_path, lines, line_no, words):
    src = write(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    r = run("label", src, "--out", out, "--iterations", "1")
    assert r.returncode == 2
    assert f"in.jsonl line {line_no}: " in r.stderr and words in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_label_refuses_an_empty_file_and_a_missing_file(tmp_path):
    empty = write(tmp_path / "empty.jsonl", ["", "   "])
    r = run("label", empty, "--out", tmp_path / "o.jsonl")
    assert r.returncode == 2 and "no examples" in r.stderr
    r = run("label", tmp_path / "nope.jsonl", "--out", tmp_path / "o.jsonl")
    assert r.returncode == 2 and "no such file" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_label_refuses_bad_hyperparameters_by_name(tmp_path):
    src = write(tmp_path / "in.jsonl", [GOOD])
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--iterations", "-3")
    assert r.returncode == 2 and "config field 'iterations'" in r.stderr
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--score", "max")
    assert r.returncode == 2 and "invalid choice" in r.stderr
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--scoring", "psychic")
    assert r.returncode == 2 and "config field 'scoring'" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_label_refuses_a_broken_checkpoint(tmp_path):
    src = write(tmp_path / "in.jsonl", [GOOD])
    bad = tmp_path / "ck.json"
    bad.write_text("{half")
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--resume", bad)
    assert r.returncode == 2 and "--resume" in r.stderr and "not valid JSON" in r.stderr
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--resume", tmp_path / "missing.json")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_gold_labels_baseline_needs_a_gold_field(tmp_path):
    src = write(tmp_path / "in.jsonl", [{**GOOD, "gold": True}, {"id": "b", "prompt": "x is "}])
    r = run("baseline", "gold-labels", src, "--out", tmp_path / "o.jsonl")
    assert r.returncode == 2 and "in.jsonl line 2" in r.stderr and '"gold"' in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_unknown_model_path_and_backend_options_are_refused(tmp_path):
    src = write(tmp_path / "in.jsonl", [GOOD])
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--model", "./no/such/model")
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run("label", src, "--out", tmp_path / "o.jsonl", "--backend", "openai")
    assert r.returncode == 2 and "--base-url" in r.stderr
    r = run("prepare-model", "--model", str(tmp_path / "in.jsonl"))
    assert r.returncode == 2 and ".gguf" in r.stderr


def test_help_lists_the_commands():
    r = run("--help")
    assert r.returncode == 0
    for word in ("label", "baseline", "prepare-model"):
        assert word in r.stdout
    r = run("label", "--help")
    for option in ("--seed", "--iterations", "--alpha", "--initial-labels", "--consistency-fix-rounds", "--score",
                   "--schedule", "--calibrate", "--checkpoint", "--resume", "--model"):
        assert option in r.stdout
