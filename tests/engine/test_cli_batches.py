"""The command line's whole-split mode (--batch-size, --batch, --list-batches) and its refusal to resume a
checkpoint with another model. In-process runs use a scripted backend standing in for the model (the
real-model command line is in test_real_model.py); --list-batches runs as a user runs it, and loads no model."""
import json

import pytest

from elicitation import cli, partition
from elicitation.batches import batch_seed

from .commands import run_elicitation, small_env
from .fakes import ScriptedBackend

SIGNALS = [2, -1.5, 1, -2, 0.5, -0.5, 1.5, -1, 2.5, -2.5, 0.75, -0.75, 1.25, -1.25, 3, -3, 0.25, -0.25]


def write_input(path):
    """Comparison pairs (two signals of opposite sign per group) and two examples without a group."""
    rows = []
    for i, s in enumerate(SIGNALS):
        row = {"id": f"x{i}", "prompt": f"Item {i} signal={s}\nI think this claim is "}
        if i < 16:
            row.update(group=f"g{i // 2}", key="A>B" if i % 2 == 0 else "B>A")
        rows.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def scripted(monkeypatch):
    made = []

    def fake_backend(args):
        made.append(ScriptedBackend(name=args.model or "scripted", fingerprint=(args.model or "scripted") * 4))
        return made[-1]

    monkeypatch.setattr(cli, "_backend", fake_backend)
    return made


def label(*args):
    return cli.main(["label", *map(str, args), "--consistency", "comparison", "--quiet"])


def rows_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_list_batches_prints_the_partition_without_loading_a_model(tmp_path):
    src = write_input(tmp_path / "in.jsonl")
    r = run_elicitation("label", src, "--out", tmp_path / "o.jsonl", "--batch-size", "6", "--seed", "3",
                        "--consistency", "comparison", "--list-batches", "--model", "./no/such/model",
                        timeout=120, env=small_env())
    assert r.returncode == 0, r.stderr
    listed = [json.loads(line) for line in r.stdout.splitlines()]
    assert [b["index"] for b in listed] == [0, 1, 2]
    assert sum(b["size"] for b in listed) == 18 and all(b["size"] == 6 for b in listed)
    assert sum(b["groups"] for b in listed) == 10  # 8 pairs + 2 singles, none split
    assert [b["seed"] for b in listed] == [batch_seed(3, i) for i in range(3)]
    assert not (tmp_path / "o.jsonl").exists()


def test_batches_run_one_after_another_into_one_merged_output(tmp_path, scripted, capsys):
    src, out, ck = write_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl", tmp_path / "run.json"
    assert label(src, "--out", out, "--batch-size", "6", "--seed", "3", "--iterations", "40",
                 "--checkpoint", ck) == 0
    rows = rows_of(out)
    assert [r["id"] for r in rows] == [f"x{i}" for i in range(18)]  # input order
    from elicitation.cli import _problem
    from elicitation.jsonl import read_rows

    problem = _problem(str(src), read_rows(src), "comparison")
    parts = partition(problem, 6, 3)
    assert {r["id"]: r["batch"] for r in rows} == {i: k for k, b in enumerate(parts) for i in b}
    for k in range(3):  # each batch: its own checkpoint with its derived seed
        state = json.loads((tmp_path / f"run.batch-{k}.json").read_text())
        assert state["config"]["seed"] == batch_seed(3, k) and set(state["labels"]) == set(parts[k])
    assert json.loads(ck.read_text())["kind"] == "icm-batch-run"
    assert "3 batch(es), 18 examples" in capsys.readouterr().err

    # --batch I alone writes just its labels, the same as in the full run.
    one = tmp_path / "one.jsonl"
    assert label(src, "--out", one, "--batch-size", "6", "--seed", "3", "--iterations", "40", "--batch", "1") == 0
    assert rows_of(one) == [r for r in rows if r["batch"] == 1]

    # Resuming reads each batch's own checkpoint: going on for more iterations equals a longer run.
    longer = tmp_path / "longer.jsonl"
    assert label(src, "--out", longer, "--resume", ck, "--iterations", "60") == 0
    fresh = tmp_path / "fresh.jsonl"
    assert label(src, "--out", fresh, "--batch-size", "6", "--seed", "3", "--iterations", "60") == 0
    assert rows_of(longer) == rows_of(fresh)


def test_a_bad_batch_index_and_options_without_batch_size_are_refused(tmp_path, scripted, capsys):
    src, out = write_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl"
    assert label(src, "--out", out, "--batch-size", "6", "--batch", "3") == 2
    assert "--batch 3: the partition has batches 0 to 2" in capsys.readouterr().err
    assert label(src, "--out", out, "--batch", "0") == 2
    assert "need --batch-size" in capsys.readouterr().err
    assert not out.exists() and not scripted


def test_resuming_with_another_model_exits_2_naming_both_and_writes_nothing(tmp_path, scripted, capsys):
    src, out, ck = write_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl", tmp_path / "ck.json"
    assert label(src, "--out", out, "--iterations", "5", "--checkpoint", ck, "--model", "alpha") == 0
    out.unlink()
    before = ck.read_text()
    assert label(src, "--out", out, "--iterations", "9", "--resume", ck, "--checkpoint", ck, "--model", "beta") == 2
    err = capsys.readouterr().err
    assert "this checkpoint was made with model 'alpha' (fingerprint alphaalphaal…)" in err
    assert "resuming with 'beta'" in err and "would reuse 'alpha''s cached scores" in err
    assert not out.exists() and ck.read_text() == before
    # The same in whole-split mode: refused before any batch runs.
    assert label(src, "--out", out, "--batch-size", "6", "--iterations", "5", "--checkpoint", ck,
                 "--model", "alpha") == 0
    out.unlink()
    assert label(src, "--out", out, "--resume", ck, "--model", "beta") == 2
    assert "made with model 'alpha'" in capsys.readouterr().err and not out.exists()


def test_an_old_checkpoint_is_resumed_with_a_warning(tmp_path, scripted, capsys):
    src, out, ck = write_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl", tmp_path / "ck.json"
    assert label(src, "--out", out, "--iterations", "5", "--checkpoint", ck) == 0
    old = json.loads(ck.read_text())
    del old["model"]
    ck.write_text(json.dumps(old))
    capsys.readouterr()
    assert label(src, "--out", out, "--iterations", "7", "--resume", ck) == 0
    assert capsys.readouterr().err.count("warning: this checkpoint does not record its model") == 1
