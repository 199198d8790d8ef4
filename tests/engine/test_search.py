"""Algorithm 1 end to end on the scripted backend: determinism, stop and resume, events, checkpoints,
context refusal, zero scores and the score cache. The search logic is the subject here, not the model."""
import json

import pytest

from elicitation import ContextLengthError, Example, ICMConfig, InputError, LabelLogprobs, Problem, run_icm
from elicitation.scoring import make_scorer

from .fakes import ScriptedBackend, query_signal, signal_problem

SIGNALS = [2, -1.5, 1, -2, 0.5, -0.5, 1.5, -1, 2.5, -2.5, 0.75, -0.75]
EVENT_KEYS = {"iteration", "energy", "accepted", "accepted_flips", "flips", "inconsistencies", "labeled_count",
              "label_counts", "tokens", "temperature"}


def demo_dependent_backend():
    """Log-odds depend on the query and on how many demonstrations say True, so labels interact."""
    def rule(prompt):
        blocks = prompt.split("\n\n")
        trues = sum(b.endswith(" True") for b in blocks[:-1])
        falses = sum(b.endswith(" False") for b in blocks[:-1])
        return query_signal(prompt) + 0.3 * (trues - falses) / max(1, len(blocks) - 1)
    return ScriptedBackend(rule)


def config(**kw):
    base = dict(seed=4, iterations=60, initial_labels=4, checkpoint_every=5)
    base.update(kw)
    return ICMConfig(**base)


def test_same_seed_same_labels_other_seed_other_path():
    p = signal_problem(SIGNALS)
    a = run_icm(p, config(), demo_dependent_backend())
    b = run_icm(p, config(), demo_dependent_backend())
    c = run_icm(p, config(seed=5), demo_dependent_backend())
    timeless = lambda r: {k: v for k, v in r.state.to_dict().items() if k != "seconds"}
    assert a.labels == b.labels and a.scores == b.scores and timeless(a) == timeless(b)
    assert c.state.rng != a.state.rng


class RowByRowBackend(ScriptedBackend):
    """Scores a batch one prompt at a time and asks `interrupt` between them, as the hf backend does between
    its model calls (the scripted stand-in for a long scoring call). Stop is wanted from row `stop_at_row` on;
    `rows_past_stop` counts the rows scored after that."""

    def __init__(self, rule, stop_at_row: int):
        super().__init__(rule)
        self.rows, self.stop_at_row, self.rows_past_stop = 0, stop_at_row, 0

    def wants_stop(self) -> bool:
        return self.rows >= self.stop_at_row

    def score_batch(self, prompts, label_words):
        from elicitation.errors import ScoringInterrupted

        for k in range(len(prompts)):
            if k and self.interrupt is not None and self.interrupt():
                raise ScoringInterrupted()
            self.rows_past_stop += self.wants_stop()
            self.rows += 1
        return super().score_batch(prompts, label_words)


@pytest.mark.parametrize("stop_at_row", [2, 40, 100])  # 2: inside the first call (4 prompts)
def test_a_stop_inside_a_scoring_call_takes_effect_at_the_next_row_and_resumes_like_an_uninterrupted_run(
        stop_at_row):
    p = signal_problem(SIGNALS)
    full = run_icm(p, config(), demo_dependent_backend())
    backend = RowByRowBackend(demo_dependent_backend().rule, stop_at_row)
    stopped = run_icm(p, config(), backend, should_stop=backend.wants_stop)
    assert stopped.stopped and backend.rows_past_stop == 0  # not one more row once the stop was wanted
    assert backend.interrupt is None  # handed back after the search
    resumed = run_icm(p, config(), demo_dependent_backend(), state=stopped.state)
    assert (resumed.labels, resumed.scores) == (full.labels, full.scores)


@pytest.mark.parametrize("stop_after", [0, 1, 7, 23, 59])
def test_stop_then_resume_from_the_checkpoint_ends_like_an_uninterrupted_run(stop_after):
    p = signal_problem(SIGNALS)
    full = run_icm(p, config(), demo_dependent_backend())

    seen = []
    checkpoints = []
    stopped = run_icm(p, config(), demo_dependent_backend(), on_event=seen.append,
                      should_stop=lambda: len(seen) > stop_after,
                      on_checkpoint=lambda st: checkpoints.append(json.dumps(st.to_dict())))
    assert stopped.stopped and stopped.summary["stopped"]
    assert stopped.state.iteration == stop_after
    saved = json.loads(checkpoints[-1])  # the checkpoint written at exit, through JSON like a file
    assert saved["iteration"] == stop_after
    from elicitation import SearchState

    resumed = run_icm(p, config(), demo_dependent_backend(), state=SearchState.from_dict(saved))
    assert not resumed.stopped
    assert resumed.labels == full.labels
    assert resumed.scores == full.scores
    assert resumed.summary["accepted"] == full.summary["accepted"]
    assert resumed.state.iteration == full.state.iteration == 60


def test_resume_from_every_periodic_checkpoint():
    p = signal_problem(SIGNALS)
    checkpoints = []
    full = run_icm(p, config(), demo_dependent_backend(), on_checkpoint=checkpoints.append)
    assert [c.iteration for c in checkpoints] == list(range(5, 61, 5))  # every 5, the exit one not repeated
    from elicitation import SearchState

    for c in checkpoints[:-1]:
        r = run_icm(p, config(), demo_dependent_backend(), state=SearchState.from_dict(c.to_dict()))
        assert r.labels == full.labels


def test_a_resumed_run_may_go_on_for_more_iterations():
    p = signal_problem(SIGNALS)
    short = run_icm(p, config(iterations=20), demo_dependent_backend())
    longer = run_icm(p, config(iterations=60), demo_dependent_backend(), state=short.state)
    assert longer.labels == run_icm(p, config(iterations=60), demo_dependent_backend()).labels


def test_resume_refuses_another_config_or_problem():
    p = signal_problem(SIGNALS)
    first = run_icm(p, config(iterations=3), demo_dependent_backend())
    with pytest.raises(InputError, match=r"alpha: checkpoint 50.0, now 30.0"):
        run_icm(p, config(iterations=6, alpha=30), demo_dependent_backend(), state=first.state)
    with pytest.raises(InputError, match="different problem"):
        run_icm(signal_problem(SIGNALS[:-1]), config(), demo_dependent_backend(), state=first.state)


def test_events_are_json_safe_and_describe_each_iteration():
    p = signal_problem(SIGNALS)
    events = []
    result = run_icm(p, config(iterations=25), demo_dependent_backend(), on_event=events.append)
    json.dumps(events)
    assert [e["iteration"] for e in events] == list(range(0, 26))
    assert all(EVENT_KEYS <= set(e) for e in events)
    assert events[0]["labeled_count"] == 4 and events[0]["label_counts"] == {"true": 2, "false": 2}
    labels = dict(events[0]["labels"])
    for e in events[1:]:
        assert set(e["flips"]) == set(e["changes"])
        assert (not e["accepted"]) <= (e["flips"] == [])
        labels.update(e["changes"])
        assert e["labeled_count"] == sum(v is not None for v in labels.values())
        assert e["tokens"] >= events[0]["tokens"]
    assert {k: v for k, v in labels.items() if v is not None} == {
        str(k): v for k, v in result.labels.items() if v is not None}
    assert events[-1]["accepted_flips"] == result.summary["accepted_flips"]


def test_summary_reports_what_a_researcher_needs():
    p = signal_problem(SIGNALS)
    r = run_icm(p, config(), demo_dependent_backend())
    s = r.summary
    for key in ("iterations", "acceptance_rate", "energy", "inconsistencies", "tokens", "seconds", "label_counts",
                "true_share", "degenerate", "zero_scores", "calibrate", "scoring"):
        assert key in s
    assert s["iterations"] == 60 and s["scoring"] == "exact" and s["calibrate"] == "none"
    assert 0 < s["acceptance_rate"] <= 1
    assert s["label_counts"]["true"] + s["label_counts"]["false"] + s["label_counts"]["unlabeled"] == len(SIGNALS)
    json.dumps(s)


def test_initial_labels_are_half_true():
    p = signal_problem(SIGNALS)
    for seed in range(5):
        r = run_icm(p, config(seed=seed, iterations=0, initial_labels=6), demo_dependent_backend())
        assert r.summary["label_counts"] == {"true": 3, "false": 3, "unlabeled": 6}


def test_unlabeled_examples_keep_no_label_and_no_score():
    p = signal_problem(SIGNALS)
    r = run_icm(p, config(iterations=0, initial_labels=2), demo_dependent_backend())
    unlabeled = [k for k, v in r.labels.items() if v is None]
    assert len(unlabeled) == len(SIGNALS) - 2
    assert all(r.scores[k] is None for k in unlabeled)


def test_the_prediction_never_shows_an_example_its_own_label():
    p = signal_problem(SIGNALS)
    backend = demo_dependent_backend()
    run_icm(p, config(iterations=30), backend)
    for prompt in backend.seen:
        blocks = prompt.split("\n\n")
        query = blocks[-1]
        assert all(not b.startswith(query) for b in blocks[:-1])


def test_demonstrations_keep_a_stable_grouped_order():
    p = signal_problem([1, -1, 1, -1, 1, -1], groups=["b", "a", "b", None, "a", "c"])
    backend = ScriptedBackend()
    scorer = make_scorer(p, backend, ICMConfig())
    assert [p.examples[i].id for i in scorer.order] == ["x0", "x2", "x1", "x4", "x3", "x5"]
    scorer.evaluate([True, False, True, False, True, False])
    for prompt in backend.seen:
        items = [int(b.split()[1]) for b in prompt.split("\n\n")[:-1]]
        ranks = [scorer.order.index(i) for i in items]
        assert ranks == sorted(ranks)


def test_unchanged_prompts_are_never_recomputed():
    p = signal_problem(SIGNALS)
    backend = ScriptedBackend()
    scorer = make_scorer(p, backend, ICMConfig())
    labels = [True, False] * 6
    first = scorer.evaluate(labels)
    seen = len(backend.seen)
    assert seen == 12
    assert scorer.evaluate(labels) == first and len(backend.seen) == seen  # nothing new
    labels[3] = True
    scorer.evaluate(labels)
    assert len(backend.seen) == seen + 11  # only x3's own prompt did not change


def test_a_prompt_too_long_for_the_context_is_refused_before_any_scoring():
    p = signal_problem(SIGNALS)
    backend = ScriptedBackend(context_length=40)
    with pytest.raises(ContextLengthError) as info:
        run_icm(p, config(), backend)
    message = str(info.value)
    assert "context window is 40 tokens" in message and "11 demonstrations" in message
    assert backend.calls == 0


def test_prompts_where_neither_label_word_appears_score_zero_and_are_counted():
    p = signal_problem(SIGNALS)

    def rule(prompt):
        if "Item 5 " in prompt.split("\n\n")[-1]:
            return LabelLogprobs(None, None, exact=False)
        return query_signal(prompt)

    r = run_icm(p, config(iterations=80, initial_labels=12), ScriptedBackend(rule))
    assert r.raw_scores["x5"] == 0.0
    assert r.summary["zero_scores"] == 1 and r.summary["zero_scores_seen"] >= 1


def test_should_stop_during_initialization_stops_there_with_a_state_that_resumes():
    """A cancel is honoured after the first scoring call, not after the whole initialization (issue 26)."""
    p = signal_problem(SIGNALS)
    checkpoints = []
    r = run_icm(p, config(), demo_dependent_backend(), should_stop=lambda: True, on_checkpoint=checkpoints.append)
    assert r.stopped and r.state.iteration == 0 and not r.state.initialized
    assert len(checkpoints) == 1 and checkpoints[0].labeled_count == 0 and r.state.tokens > 0
    resumed = run_icm(p, config(), demo_dependent_backend(), state=checkpoints[0])
    assert resumed.labels == run_icm(p, config(), demo_dependent_backend()).labels


def test_problem_validation_names_the_problem():
    with pytest.raises(InputError, match="duplicate example id 'a'"):
        Problem([Example("a", "p"), Example("a", "q")])
    with pytest.raises(InputError, match="prompt must be non-empty"):
        Problem([Example("a", "  ")])
    with pytest.raises(InputError, match="consistency must be one of"):
        Problem([Example("a", "p")], consistency="strict")
    with pytest.raises(InputError, match="at least one example"):
        Problem([])
