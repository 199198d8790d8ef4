"""Coverage (how many iterations visit every example once, in expectation, under the engine's sampling rule),
the `unlabeled` count, and `fill`: examples a short search left unlabeled get the model's prediction with the
final labels as demonstrations, marked as filled. The command line runs in-process here with a scripted
backend standing in for the model (the search logic is the subject, not the model)."""
import json
import math

import pytest

from elicitation import ICMConfig, Problem, Example, coverage, iterations_for_coverage, run_icm
from elicitation.annealing import sample_example
from elicitation import cli

from .fakes import ScriptedBackend, signal_problem

SIGNALS = [2, -1.5, 1, -2, 0.5, -0.5, 1.5, -1, 2.5, -2.5, 0.75, -0.75, 1.25, -1.25, 3, -3]


def test_without_groups_coverage_is_the_coupon_collector():
    p = signal_problem([1] * 100)
    assert iterations_for_coverage(p) == math.ceil(100 * sum(1 / k for k in range(1, 101)))  # 519 ≈ n ln n + 0.58n
    c = coverage(p, 100)
    assert not c.enough and c.needed == 519 and 30 < c.expected_unvisited < 40  # 100·(1 − 1/100)^100 ≈ 36.6
    assert coverage(p, 519).enough and coverage(p, 519).warning() is None
    assert "100 iterations are too few" in c.warning() and "about 519" in c.warning()


def test_coverage_with_groups_follows_the_sampling_rule():
    """Pairs: reaching all 50 pairs takes 50·H_50 weight-1 draws, then each partner is drawn next (weight 100)."""
    pairs = Problem([Example(f"{g}{s}", "x is ", group=str(g)) for g in range(50) for s in "ab"])
    assert iterations_for_coverage(pairs) == math.ceil(50 * sum(1 / k for k in range(1, 51)) + 50)
    # Simulate the engine's own sampler, labeling each drawn example: the estimate is close to the mean.
    import random

    groups = pairs.group_ids()
    totals = []
    for seed in range(200):
        rng, labels, t = random.Random(seed), [None] * 100, 0
        while any(y is None for y in labels):
            labels[sample_example(labels, groups, rng)] = True
            t += 1
        totals.append(t)
    mean = sum(totals) / len(totals)
    assert abs(mean - iterations_for_coverage(pairs)) / mean < 0.1


def test_initial_labels_count_toward_coverage():
    """The K initial labels are labeled before any draw: a search whose every example starts labeled cannot
    leave one undrawn (it used to be warned that some would be), and fewer draws are needed for the rest."""
    eight = signal_problem([1] * 8)
    assert coverage(eight, 0).warning() is not None
    for k in (8, 100):
        c = coverage(eight, 0, initial_labels=k)
        assert (c.needed, c.enough, c.warning(), c.expected_unvisited) == (0, True, None, 0.0)

    import random

    pairs = Problem([Example(f"{g}{s}", "x is ", group=str(g)) for g in range(50) for s in "ab"])
    groups, k = pairs.group_ids(), 30
    totals = []
    for seed in range(100):  # the engine's sampler after k uniformly drawn initial labels
        rng, labels, t = random.Random(seed), [None] * 100, 0
        for i in rng.sample(range(100), k):
            labels[i] = True
        while any(y is None for y in labels):
            labels[sample_example(labels, groups, rng)] = True
            t += 1
        totals.append(t)
    mean = sum(totals) / len(totals)
    needed = iterations_for_coverage(pairs, initial_labels=k)
    assert needed < iterations_for_coverage(pairs) and abs(mean - needed) / mean < 0.1


def config(**kw):
    return ICMConfig(**{"seed": 2, "iterations": 3, "initial_labels": 4, **kw})


def test_a_short_search_reports_its_unlabeled_examples_and_fill_labels_all_of_them():
    p = signal_problem(SIGNALS)
    plain = run_icm(p, config(), ScriptedBackend())
    left = [k for k, v in plain.labels.items() if v is None]
    assert plain.summary["unlabeled"] == len(left) >= 8 and plain.summary["filled"] == 0 and not plain.filled
    assert plain.summary["coverage"]["enough"] is False

    filled = run_icm(p, config(fill=True), ScriptedBackend())
    assert all(v is not None for v in filled.labels.values())
    assert filled.filled == set(left)
    assert filled.summary["unlabeled"] == len(left) and filled.summary["filled"] == len(left)
    assert filled.summary["label_counts"]["unlabeled"] == 0
    for k in p.examples:
        if k.id in left:
            assert filled.kind(k.id) == "filled"
            assert filled.labels[k.id] == (filled.scores[k.id] > 0)
            assert filled.labels[k.id] == (float(k.prompt.split("signal=")[1].split()[0]) > 0)  # the prediction
        else:
            assert filled.kind(k.id) == "elicited"
            assert filled.labels[k.id] == plain.labels[k.id] and filled.scores[k.id] == plain.scores[k.id]
    # Fill is an output, not a search step: the state (and so a resumed run) is the unfilled one.
    assert filled.state.labels == plain.state.labels


def test_fill_may_be_switched_on_when_resuming():
    p = signal_problem(SIGNALS)
    first = run_icm(p, config(), ScriptedBackend())
    resumed = run_icm(p, config(fill=True), ScriptedBackend(), state=first.state)
    assert resumed.summary["filled"] == first.summary["unlabeled"] > 0


def write_input(path, signals):
    path.write_text("".join(json.dumps({"id": f"x{i}", "prompt": f"Item {i} signal={s}\nI think this claim is "})
                            + "\n" for i, s in enumerate(signals)))
    return path


@pytest.fixture
def scripted_cli(monkeypatch):
    backends = []

    def fake_backend(args):
        backends.append(ScriptedBackend(name=args.model or "scripted"))
        return backends[-1]

    monkeypatch.setattr(cli, "_backend", fake_backend)
    return backends


def test_the_cli_warns_before_starting_and_fill_marks_the_filled_lines(tmp_path, scripted_cli, capsys):
    src, out = write_input(tmp_path / "in.jsonl", SIGNALS), tmp_path / "out.jsonl"
    assert cli.main(["label", str(src), "--out", str(out), "--iterations", "3", "--initial-labels", "4",
                     "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: 3 iterations are too few to draw each of 16 examples" in err
    assert "--iterations 50 or --fill" in err  # 16·H_16 ≈ 55 draws, fewer as 4 start labeled
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["kind"] for r in rows} == {"elicited", None}
    assert all((r["kind"] is None) == (r["label"] is None) for r in rows)

    assert cli.main(["label", str(src), "--out", str(out), "--iterations", "3", "--initial-labels", "4", "--fill",
                     "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "filled" in err
    filled = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["label"] is not None for r in filled)
    assert [r["kind"] == "filled" for r in filled] == [r["label"] is None for r in rows]
    assert [r["label"] for r in filled if r["kind"] == "elicited"] == [r["label"] for r in rows if r["kind"]]

    assert cli.main(["label", str(src), "--out", str(out), "--iterations", "60", "--quiet"]) == 0
    assert "too few" not in capsys.readouterr().err
