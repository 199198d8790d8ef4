"""The engine's progress and cancel hooks at the scoring-call boundary (issue 26), on the scripted backend of
the engine tests (the search's bookkeeping is the subject, not the model): a report after every scoring call,
with the phase, tokens and seconds so far; a stop honoured after the scoring call in progress, inside the
initialization or an iteration, leaving a state that resumes to the labels of an uninterrupted run."""
import json

import pytest

from elicitation import ICMConfig, SearchState, run_icm
from tests.engine.fakes import signal_problem
from tests.engine.test_search import SIGNALS, demo_dependent_backend


def config(**kw):
    return ICMConfig(**{"seed": 4, "iterations": 30, "initial_labels": 6, "checkpoint_every": 5, "fill": True, **kw})


def test_progress_arrives_after_every_scoring_call_with_phase_tokens_and_seconds():
    p = signal_problem(SIGNALS)
    reports, events = [], []
    result = run_icm(p, config(), demo_dependent_backend(), on_progress=reports.append, on_event=events.append)
    phases = [r["phase"] for r in reports]
    # initial scoring reports come before the first iteration's event, then the search's, then the fill's
    first_search = phases.index("search")
    assert phases[0] == "initial" and reports[0]["tokens"] == 0
    assert set(phases[:first_search]) == {"initial"} and first_search >= 2  # the start, then per scoring call
    assert "fill" in phases and set(phases[phases.index("fill"):]) == {"fill"}
    tokens = [r["tokens"] for r in reports]
    assert tokens == sorted(tokens) and reports[first_search - 1]["tokens"] > 0  # tokens as they accrue
    assert all(r["seconds"] >= 0 for r in reports)
    # more reports than iterations: an iteration makes several scoring calls
    assert len([r for r in reports if r["phase"] == "search"]) > result.state.iteration
    assert reports[-1]["tokens"] <= result.summary["tokens"] + result.summary["fill_tokens"]


@pytest.mark.parametrize("stop_at_call", [1, 2, 5, 17, 40])
def test_a_stop_mid_step_takes_effect_at_the_next_scoring_call_and_resumes_like_an_uninterrupted_run(stop_at_call):
    p = signal_problem(SIGNALS)
    full = run_icm(p, config(fill=False), demo_dependent_backend())
    calls = []
    checkpoints = []
    stopped = run_icm(p, config(fill=False), demo_dependent_backend(), on_progress=calls.append,
                      should_stop=lambda: len(calls) >= stop_at_call,
                      on_checkpoint=lambda st: checkpoints.append(json.dumps(st.to_dict())))
    assert stopped.stopped
    # no scoring call after the one where the stop was asked for (the first report, at the start, asks nothing)
    assert len(calls) == max(stop_at_call, 2)
    resumed = run_icm(p, config(fill=False), demo_dependent_backend(),
                      state=SearchState.from_dict(json.loads(checkpoints[-1])))
    assert resumed.labels == full.labels and resumed.state.iteration == full.state.iteration
