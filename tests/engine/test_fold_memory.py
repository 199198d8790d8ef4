"""Folds scoring keeps what the adopted labeling needs and remembers what it computed (issue 24, change 1), and
ConsistencyFix's two strategies (change 2).

The model here is the token-counting STAND-IN of benchmarks/token_standin.py (no forward pass: each query's
log-odds is a fixed, seeded function of its prompt's tokens) over the character tokenizer of the `vllm` stand-in
(tests/engine/fake_vllm.py), so a whole search runs in seconds and any correct caching must give exactly the
scores of scoring every prompt from scratch. The real model's folds (incremental = from scratch) are checked in
test_fast_scoring.py."""
import pytest

from benchmarks.token_standin import CountingBackend, _hasher, seeded_bases
from elicitation import Example, ICMConfig, Problem
from elicitation.scoring import make_scorer
from elicitation.scoring.model_access import prompt_tokens
from elicitation.search import Search, new_state, run_icm
from tests.engine import fake_vllm
from tests.engine.fakes import ScriptedBackend, signal_problem


def pairs_problem(pairs: int) -> Problem:
    examples = []
    for k in range(pairs):
        for suffix, key in (("ab", "A>B"), ("ba", "B>A")):
            examples.append(Example(f"p{k}-{suffix}", f"Post {k}{suffix}: text {k * 7 % 5}.\nClaim: A>B. It is",
                                    group=f"p{k}", key=key))
    return Problem(examples, consistency="comparison")


def standin(problem, seed=0):
    backend = CountingBackend(fake_vllm.Tokenizer(), seeded_bases(problem, seed), context_length=100_000)
    return backend


def from_scratch(scorer, t, labels, i) -> float:
    """The stand-in's log-odds of query i's whole prompt, built directly from the labeling (no caching)."""
    labeled = {j: bool(labels[j]) for j in range(len(labels)) if labels[j] is not None}
    scorer.plan.update(labeled)
    ctx = list(t.preamble)
    for j in scorer.plan.members(scorer.fold_of[i]):
        ctx.extend(t.demo(j, labeled[j]))
    return scorer.backend.scores.log_odds(_hasher(0, ctx), t.query(i))


@pytest.mark.parametrize("strategy", ["local", "rescan"])
def test_a_whole_search_gets_exactly_the_from_scratch_scores_for_fewer_tokens(strategy):
    problem = pairs_problem(10)
    backend = standin(problem)
    config = ICMConfig(scoring="folds", folds=4, iterations=40, calibrate="center", fix_strategy=strategy, seed=1)
    scorer = make_scorer(problem, backend, config)
    t = prompt_tokens(scorer)
    backend.scores.set_queries(t.prompts)
    checked = []
    evaluate = scorer.evaluate

    def checking(labels):
        got = evaluate(labels)
        for i, r in got.items():
            assert r.log_odds == pytest.approx(from_scratch(scorer, t, labels, i), abs=1e-5)
        checked.append(sum(len(t.demo(j, True)) for j in got) + 1)
        return got

    scorer.evaluate = checking
    result = run_icm(problem, config, backend, scorer=scorer)
    assert len(checked) > 40  # every evaluation of the search was checked
    scratch_tokens = sum(checked) * 2  # each query alone costs its context (≥ half the labeled demos) and itself
    assert result.summary["tokens"] < scratch_tokens / 4
    assert sum(1 for y in result.labels.values() if y is not None) > 4


def test_the_adopted_contexts_survive_many_candidates_and_going_back_costs_nothing():
    problem = signal_problem([0.5] * 12)
    backend = standin(problem)
    scorer = make_scorer(problem, backend, ICMConfig(scoring="folds", folds=3))
    backend.scores.set_queries(prompt_tokens(scorer).prompts)
    current = [i % 2 == 0 if i < 9 else None for i in range(12)]
    first = scorer.evaluate(current)
    scorer.adopt(current)
    runner = backend.runners[-1]
    for k in range(8):  # more candidates than a fold holds versions of
        candidate = list(current)
        candidate[k] = not candidate[k]
        scorer.evaluate(candidate)
    before = runner.tokens
    assert scorer.evaluate(current) == first and runner.tokens == before  # remembered: nothing recomputed
    scorer.predict(10, current)  # a new query on the adopted labeling: its context is still held
    assert runner.tokens - before == len(prompt_tokens(scorer).query(10))


def test_a_candidate_context_shares_the_adopted_contexts_key_values_instead_of_copying_them():
    problem = signal_problem([0.5] * 9)
    backend = standin(problem)
    scorer = make_scorer(problem, backend, ICMConfig(scoring="folds", folds=3))
    backend.scores.set_queries(prompt_tokens(scorer).prompts)
    current = [True, False] * 4 + [True]
    scorer.evaluate(current)
    scorer.adopt(current)
    contexts = scorer._contexts
    candidate = list(current)
    candidate[8] = False  # the last example in the stable order: a short suffix changes
    scorer.evaluate(candidate)
    for f in range(3):
        pinned = contexts._pinned[f]
        if 8 not in contexts.context_members(f):
            continue
        newest = contexts._recent[f][0]
        shared = newest.parts[0][0][0]
        assert shared.untyped_storage().data_ptr() == pinned.parts[0][0][0].untyped_storage().data_ptr()
        own = sum(p[0][0].shape[-2] for p in newest.parts[1:])
        assert own < len(newest.tokens) / 4  # only the changed suffix was computed and stored


def _evaluations(strategy: str):
    """Labelings a search evaluates on pairs whose rule a proposal keeps breaking (comparison consistency)."""
    problem = signal_problem([2.0, 2.0, 1.5, 1.5, -1.0, -1.0], groups=["a", "a", "b", "b", "c", "c"],
                             keys=["1", "2", "1", "2", "1", "2"], consistency="comparison")
    config = ICMConfig(iterations=30, initial_labels=2, fix_strategy=strategy, seed=3)
    backend = ScriptedBackend()
    scorer = make_scorer(problem, backend, config)
    seen = []
    evaluate = scorer.evaluate
    scorer.evaluate = lambda labels: (seen.append(list(labels)), evaluate(labels))[1]
    search = Search(problem, config, scorer, new_state(problem, config, backend))
    search.initialize()
    seen.clear()
    proposals = []
    for _ in range(config.iterations):
        before = list(search.labels)
        event = search.step()
        proposals.append((before, event))
    return search, seen, proposals


def test_local_fix_never_scores_a_candidate_that_breaks_a_rule_and_rescan_does():
    from elicitation.consistency import Rules

    for strategy, scored_broken in (("local", False), ("rescan", True)):
        search, seen, _ = _evaluations(strategy)
        rules = Rules(search.problem)
        broken = [labels for labels in seen if rules.count(labels) > 0]
        assert bool(broken) is scored_broken, strategy


def test_local_fix_leaves_violations_that_the_proposal_did_not_touch():
    from elicitation.consistency import Rules
    from elicitation.consistency_fix import consistency_fix
    from elicitation.energy import Energy

    problem = signal_problem([1.0] * 6, groups=["a", "a", "b", "b", "c", "c"], keys=["1", "2"] * 3,
                             consistency="comparison")
    rules = Rules(problem)
    labels = [True, True, True, False, True, True]  # pairs a and c break the rule; b is fine
    evaluated = []

    def evaluate(candidate):
        evaluated.append(list(candidate))
        broken = rules.count(candidate)
        return Energy(sum(1 for y in candidate if y) - 10.0 * broken, 0.0, broken, 0.0)

    import random

    fixed, _ = consistency_fix(labels, None, rules=rules, evaluate=evaluate, rounds=10, rng=random.Random(0),
                               changed={0})
    assert fixed[4] is True and fixed[5] is True  # pair c (untouched by the proposal) left as it was
    assert fixed[0] != fixed[1]  # pair a fixed
    assert all(c[4] and c[5] for c in evaluated)  # no assignment of pair c was even tried
    rescanned, _ = consistency_fix(labels, evaluate(labels), rules=rules, evaluate=evaluate, rounds=10,
                                   rng=random.Random(0))
    assert rules.count(rescanned) == 0


def test_fix_strategy_is_a_checked_config_field():
    from elicitation import ElicitationError

    assert ICMConfig().fix_strategy == "rescan"  # the old behaviour stays the default (quality, closing note)
    assert ICMConfig(fix_strategy="local").to_dict()["fix_strategy"] == "local"
    with pytest.raises(ElicitationError, match="fix_strategy"):
        ICMConfig(fix_strategy="sometimes")


def test_the_fold_count_follows_the_context_length():
    from elicitation.scoring.folds import folds_for_context

    # 4 folds while (F-1)/F of the examples fit the window, fewer when only fewer fit
    assert folds_for_context(600, 280, 131_072) == 4
    assert folds_for_context(800, 280, 131_072) == 2
    assert folds_for_context(256, 280, 8192, max_demos=16) == 4  # a cap fits any fold count
    assert folds_for_context(256, 280, 8192) == 4  # nothing fits: the default, and the context check asks for a cap
