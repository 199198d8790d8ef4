"""The paper's comparison points on the scripted backend: which prompts each baseline builds, and labels as
the sign of the (calibrated) score."""
import pytest

from elicitation import ICMConfig, InputError, baselines

from .fakes import ScriptedBackend, signal_problem

SIGNALS = [2, -1, 1.5, -0.5, 3, -2]


def test_zero_shot_scores_each_example_alone():
    backend = ScriptedBackend()
    r = baselines.zero_shot(signal_problem(SIGNALS), backend)
    assert all("\n\n" not in p for p in backend.seen) and len(backend.seen) == 6
    assert r.scores == {f"x{i}": pytest.approx(s) for i, s in enumerate(SIGNALS)}
    assert r.labels == {f"x{i}": s > 0 for i, s in enumerate(SIGNALS)}
    assert r.summary["method"] == "zero-shot" and r.summary["demonstrations"] == 0


def test_centered_baseline_subtracts_the_mean_score():
    backend = ScriptedBackend(lambda p: 5 + float(p.split("signal=")[-1].split()[0]))
    r = baselines.zero_shot(signal_problem(SIGNALS), backend, ICMConfig(calibrate="center"))
    mean = sum(5 + s for s in SIGNALS) / 6
    assert r.scores["x0"] == pytest.approx(7 - mean)
    assert r.summary["calibration_offset"] == pytest.approx(mean)


def test_random_labels_are_half_true_and_seeded():
    backend = ScriptedBackend()
    a = baselines.random_labels(signal_problem(SIGNALS), backend, ICMConfig(seed=1))
    demos = [p for p in backend.seen]
    assert len(demos) == 6 and all(p.count("\n\n") == 5 for p in demos)  # leave-one-out over the other five
    shown = {}
    for p in demos:
        for block in p.split("\n\n")[:-1]:
            shown[block.split()[1]] = block.endswith(" True")
    assert sorted(shown.values()) == [False] * 3 + [True] * 3
    b = baselines.random_labels(signal_problem(SIGNALS), ScriptedBackend(), ICMConfig(seed=1))
    assert a.scores == b.scores


def test_gold_labels_with_a_test_set_use_every_demonstration():
    backend = ScriptedBackend()
    test = signal_problem([0.5, -0.25])
    gold = {f"x{i}": s > 0 for i, s in enumerate(SIGNALS)}
    r = baselines.gold_labels(signal_problem(SIGNALS), gold, backend, test=test)
    assert set(r.labels) == {"x0", "x1"} and r.labels == {"x0": True, "x1": False}
    assert all(p.count("\n\n") == 6 for p in backend.seen)
    with pytest.raises(InputError, match="'x5' has no true/false label"):
        baselines.gold_labels(signal_problem(SIGNALS), {k: v for k, v in gold.items() if k != "x5"}, backend)
    human = baselines.many_shot(signal_problem(SIGNALS), gold, ScriptedBackend(), method="human-labels")
    assert human.summary["method"] == "human-labels"
