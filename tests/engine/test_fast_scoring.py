"""Fast scoring (issue 4): `folds` and `blocks` against their own definitions, on the bundled model.

The model-level pieces (elicitation.scoring.folds / blocks) are exercised directly with a handful of real
SST-2 sentences; the cost and agreement with exact scoring are measured by benchmarks/score_cost.py.
"""
from pathlib import Path

import pytest
import torch

from elicitation import ContextLengthError, ElicitationError
from elicitation.scoring.blocks import BlockContexts
from elicitation.scoring.context_limits import ContextTooLong, demo_subset
from elicitation.scoring.demo_tokens import PromptTokens
from elicitation.scoring.folds import FoldContexts, assign_folds
from elicitation.scoring.kv_cache import label_logprobs
from elicitation.scoring.masks import packed_rows_allowed
from elicitation.scoring.model_access import make_runner
from tests.support import sst2

from .commands import run_elicitation, small_env

TEMPLATE = "Review: {s}\nThis review is positive:"  # short, so the tests stay fast on 2 shared cores

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend(bundled_backend):
    """The bundled SmolLM2-135M-Instruct through the engine's hf backend, on the CPU."""
    threads = torch.get_num_threads()
    loaded = bundled_backend
    # one thread: these forwards are small, and on 2 cores shared with other test runs two OpenMP threads
    # wait on each other far more than they compute (measured: 80 tokens took 0.7 s on 1 thread, 5.6 s on 2)
    torch.set_num_threads(1)
    yield loaded
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def lm(backend):
    return make_runner(backend), backend.tokenizer


@pytest.fixture(scope="module")
def sst8(lm):
    _, tok = lm
    return PromptTokens.from_texts(tok, [TEMPLATE.format(s=s) for s in sst2.shortest(8)])


def max_diff(a: dict, b: dict) -> float:
    return max(max(abs(a[i][0] - b[i][0]), abs(a[i][1] - b[i][1])) for i in a)


def test_blocks_through_the_mask_equal_each_block_run_alone(lm, sst8):
    runner, _ = lm
    blocks = [list(sst8.demo(i, i % 2 == 0)) for i in range(3)]
    lengths = [len(b) for b in blocks]
    alone = [runner.forward(b, logits_at=list(range(len(b))))[0] for b in blocks]

    allowed = packed_rows_allowed(torch.ones(3, 0, dtype=torch.bool), torch.zeros(0, dtype=torch.long), lengths)
    positions = [p for n in lengths for p in range(n)]
    packed, kv = runner.forward(
        [t for b in blocks for t in b], positions=positions, allowed=allowed, logits_at=list(range(sum(lengths)))
    )
    start = 0
    for b, ref in zip(blocks, alone):
        assert (packed[start : start + len(b)] - ref).abs().max().item() < 1e-4
        start += len(b)

    # a query that may see only block 1, placed right after it, equals block 1 + query run as one prompt
    query = list(sst8.query(5))
    ref, _ = runner.forward(blocks[1] + query, logits_at=[lengths[1] + len(query) - 1])
    segment = torch.tensor([0] * lengths[0] + [1] * lengths[1] + [2] * lengths[2])
    visible = torch.tensor([[False, True, False]])
    got, _ = runner.forward(
        query,
        past=kv,
        positions=list(range(lengths[1], lengths[1] + len(query))),
        allowed=packed_rows_allowed(visible, segment, [len(query)]),
        logits_at=[len(query) - 1],
    )
    assert (got - ref).abs().max().item() < 1e-4
    # and seeing all three blocks gives a different answer, so the mask is what made them equal
    got_all, _ = runner.forward(
        query,
        past=kv,
        positions=list(range(lengths[1], lengths[1] + len(query))),
        allowed=packed_rows_allowed(torch.ones(1, 3, dtype=torch.bool), segment, [len(query)]),
        logits_at=[len(query) - 1],
    )
    assert (got_all - ref).abs().max().item() > 1e-3


def test_float_mask_not_boolean_and_no_nan_on_fully_masked_rows(lm, sst8):
    runner, _ = lm
    # a query that may see nothing of the prefix: its first token attends only to itself; no NaN anywhere
    demo = list(sst8.demo(0, True))
    _, kv = runner.forward(demo)
    query = list(sst8.query(1))
    blind = packed_rows_allowed(torch.zeros(1, 1, dtype=torch.bool), torch.zeros(len(demo), dtype=torch.long), [len(query)])
    got, _ = runner.forward(query, past=kv, allowed=blind, positions=list(range(len(query))), logits_at=[len(query) - 1])
    ref, _ = runner.forward(query, logits_at=[len(query) - 1])
    assert not torch.isnan(got).any()
    assert (got - ref).abs().max().item() < 1e-4


def test_folds_are_seeded_balanced_and_never_split_a_group():
    groups = ["a", "a", "a", None, "b", "b", None, None, "c", "c", None, None]
    f1 = assign_folds(groups, 3, seed=1)
    assert f1 == assign_folds(groups, 3, seed=1)
    for g in "abc":
        assert len({f1[i] for i, x in enumerate(groups) if x == g}) == 1
    sizes = [f1.count(k) for k in range(3)]
    assert max(sizes) - min(sizes) <= 1
    assert any(assign_folds(groups, 3, seed=s) != f1 for s in range(2, 8))
    with pytest.raises(ValueError, match="only 2 groups"):
        assign_folds(["x", "x", "y"], 4, seed=0)


@pytest.mark.parametrize("mode", ["folds", "blocks"])
def test_a_query_score_ignores_its_own_and_its_groups_labels(lm, sst8, mode):
    runner, _ = lm
    groups = [None, "g", "g", None, None, "h", "h", None]
    if mode == "folds":
        ctx = FoldContexts(runner, sst8, assign_folds(groups, 3, seed=0))
    else:
        ctx = BlockContexts(runner, sst8, groups)
    labels = {i: i % 2 == 0 for i in range(8)}
    before = ctx.evaluate(labels, range(8))
    flipped = {**labels, 1: not labels[1], 2: not labels[2]}  # both members of group g
    after = ctx.evaluate(flipped, range(8))
    for i in (1, 2):
        assert abs(after[i][0] - before[i][0]) < 1e-5 and abs(after[i][1] - before[i][1]) < 1e-5
    # the change is seen by examples outside the group, so the test can fail
    assert max(abs(after[i][0] - before[i][0]) for i in (0, 3, 4, 5, 6, 7)) > 1e-3


@pytest.mark.parametrize("placement", ["stable", "arrival", "recent-last"])
def test_incremental_folds_re_evaluation_equals_a_from_scratch_evaluation(lm, sst8, placement):
    runner, _ = lm
    fold_of = assign_folds([None] * 8, 4, seed=3)
    ctx = FoldContexts(runner, sst8, fold_of, placement=placement)
    labels = {i: i % 3 == 0 for i in range(6)}  # examples 6 and 7 unlabeled
    ctx.evaluate(labels, range(8))
    steps = [
        {**labels, 2: not labels[2]},  # one flip
        {**{i: y for i, y in labels.items() if i != 4}, 2: not labels[2], 6: True},  # one added, one removed
        {**{i: y for i, y in labels.items() if i != 4}, 2: labels[2], 6: True, 1: not labels[1]},  # two flips
    ]
    for step in steps:
        tokens_before = runner.tokens
        incremental = ctx.evaluate(step, range(8))
        incremental_cost = runner.tokens - tokens_before

        fresh = FoldContexts(runner, sst8, fold_of, placement=placement)
        fresh.load_state_dict(ctx.state_dict())
        tokens_before = runner.tokens
        scratch = fresh.evaluate(step, range(8))
        scratch_cost = runner.tokens - tokens_before
        assert max_diff(incremental, scratch) < 1e-4
        assert incremental_cost < scratch_cost


def test_recent_last_moves_a_changed_example_to_the_end_so_its_next_change_is_cheap(lm, sst8):
    runner, _ = lm
    ctx = FoldContexts(runner, sst8, assign_folds([None] * 8, 4, seed=0), placement="recent-last")
    labels = {i: True for i in range(8)}
    ctx.evaluate(labels, [])
    labels[0] = False
    ctx.evaluate(labels, [])
    assert ctx.order[-1] == 0
    tokens_before = runner.tokens
    labels[0] = True
    ctx.evaluate(labels, [])
    # only the label token and the separator of the last demonstration, in each of the 3 contexts holding it
    assert runner.tokens - tokens_before <= 3 * (1 + len(sst8.separator))


def test_arrival_placement_appends_a_new_label_and_keeps_a_changed_one_in_place(lm, sst8):
    runner, _ = lm
    fold_of = assign_folds([None] * 8, 4, seed=0)
    ctx = FoldContexts(runner, sst8, fold_of, placement="arrival")
    labels = {i: True for i in (1, 3, 4, 5, 6, 7)}
    ctx.evaluate(labels, [])
    ctx.evaluate({**labels, 0: False}, [])  # example 0 is newly labeled: it joins the end
    assert ctx.order == [1, 3, 4, 5, 6, 7, 0]
    for f in range(4):
        ctx._sync_context(f)
    tokens_before = runner.tokens
    labels = {**labels, 0: False, 2: True}
    ctx.evaluate(labels, [])
    for f in range(4):
        ctx._sync_context(f)
    # each context holding example 2 reruns only example 2's demonstration
    appended = sum(len(sst8.demo(2, True)) for f in range(4) if f != fold_of[2])
    assert ctx.order == [1, 3, 4, 5, 6, 7, 0, 2]
    assert runner.tokens - tokens_before == appended
    labels[4] = False  # a change keeps its place
    ctx.evaluate(labels, [])
    assert ctx.order == [1, 3, 4, 5, 6, 7, 0, 2]


def test_stable_placement_keeps_the_order_and_recomputes_from_the_change(lm, sst8):
    runner, _ = lm
    fold_of = assign_folds([None] * 8, 4, seed=0)
    ctx = FoldContexts(runner, sst8, fold_of)
    labels = {i: True for i in range(8)}
    ctx.evaluate(labels, range(8))
    labels[0] = False
    tokens_before = runner.tokens
    ctx.evaluate(labels, [])
    assert ctx.order == list(range(8))
    assert runner.tokens == tokens_before  # no query asked: no context is touched
    ctx.evaluate(labels, [i for i in range(8) if fold_of[i] != fold_of[0]])
    # the 3 contexts holding example 0 (first in the order) rerun from its label on, then their queries
    rerun_per_context = [
        len(sst8.demo(0, False)) - len(sst8.prompts[0])
        + sum(len(sst8.demo(i, True)) for i in range(1, 8) if fold_of[i] != f)
        for f in range(4) if f != fold_of[0]
    ]
    queries = sum(len(sst8.query(i)) for i in range(8) if fold_of[i] != fold_of[0])
    assert runner.tokens - tokens_before == sum(rerun_per_context) + queries


def test_too_long_prompts_are_refused_with_sizes_or_cut_to_max_demos(lm, sst8):
    runner, _ = lm
    long = PromptTokens(
        prompts=tuple(p * 100 for p in sst8.prompts),  # ~1,600 tokens each: 6 demonstrations overflow 8,192
        label_tokens=sst8.label_tokens,
        separator=sst8.separator,
        true_ids=sst8.true_ids,
        false_ids=sst8.false_ids,
    )
    with pytest.raises(ContextTooLong, match=r"needs \d+ tokens but the model's context window is 8192"):
        FoldContexts(runner, long, assign_folds([None] * 8, 4, seed=0))
    ctx = FoldContexts(runner, long, assign_folds([None] * 8, 4, seed=0), max_demos=2)
    labels = {i: True for i in range(8)}
    ctx.evaluate(labels, [])
    assert all(len(ctx.context_members(f)) == 2 for f in range(4))


def test_max_demos_subset_is_fixed_while_other_labels_change():
    members = list(range(40))
    subset = demo_subset(members, 5, seed=7, salt="query3")
    assert len(subset) == 5 and subset == demo_subset(members, 5, seed=7, salt="query3")
    # an example outside the subset leaving or joining does not reshuffle it
    outsider = next(i for i in members if i not in subset)
    assert demo_subset([i for i in members if i != outsider], 5, seed=7, salt="query3") == subset
    assert demo_subset(members, 5, seed=8, salt="query3") != subset


def test_label_logprobs_sum_the_spelling_variants():
    logprobs = torch.log_softmax(torch.tensor([[0.0, 1.0, 2.0, 3.0]]), dim=-1)
    (t, f), = label_logprobs(logprobs, [1, 2], [3])
    assert t == pytest.approx(float(torch.logsumexp(logprobs[0, [1, 2]], 0)))
    assert f == pytest.approx(float(logprobs[0, 3]))


class TextOnly:
    """The same hf backend seen as a text-only backend (as vLLM or an OpenAI-compatible server are)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = "text-only " + inner.name
        self.context_length = inner.context_length

    def score_batch(self, prompts, label_words):
        return self.inner.score_batch(prompts, label_words)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def short_problem(n: int, groups=None):
    from elicitation import Example, Problem

    groups = groups or [None] * n
    return Problem([Example(f"s{k}", TEMPLATE.format(s=s) + " ", group=g)
                    for k, (s, g) in enumerate(zip(sst2.shortest(n), groups))])


def test_folds_scorer_on_cached_contexts_equals_its_prompts_scored_as_text(backend):
    """The model path (cached fold contexts, packed queries) scores exactly the prompts the engine's
    PromptBuilder writes for leave-one-fold-out; a text-only backend scores those prompts as text."""
    from elicitation.scoring.folds import FoldsScorer

    problem = short_problem(8)
    labels = [True, False, None, True, False, False, True, None]
    fast = FoldsScorer(problem, backend, (" True", " False"), folds=3, seed=5)
    text = FoldsScorer(problem, TextOnly(backend), (" True", " False"), folds=3, seed=5)
    for step in (labels, [not y if k == 3 and y is not None else y for k, y in enumerate(labels)]):
        a = fast.evaluate(step)
        b = text.evaluate(step)
        assert sorted(a) == [k for k, y in enumerate(step) if y is not None]
        assert all(abs(a[k].log_odds - b[k].log_odds) < 1e-4 for k in a)
        p = fast.predict_many([2, 7], step)
        q = text.predict_many([2, 7], step)
        assert all(abs(p[k].log_odds - q[k].log_odds) < 1e-4 for k in (2, 7))
    assert 0 < fast.tokens < text.tokens


def test_blocks_scorer_needs_the_in_process_model(backend):
    from elicitation.scoring.blocks import BlocksScorer

    with pytest.raises(ElicitationError, match="needs the in-process hf backend"):
        BlocksScorer(short_problem(4), TextOnly(backend), (" True", " False"))


def test_a_folds_run_records_its_mode_and_resumes_to_the_same_labels(backend):
    from elicitation import ICMConfig, run_icm

    problem = short_problem(8)
    config = ICMConfig(scoring="folds", folds=3, iterations=6, initial_labels=4, checkpoint_every=3,
                       calibrate="center", seed=2)
    checkpoints = []
    full = run_icm(problem, config, backend, on_checkpoint=checkpoints.append)
    assert full.summary["scoring"] == "folds"
    assert full.summary["scoring_settings"]["folds"] == 3 and full.state.config["scoring"] == "folds"
    assert sum(full.summary["scoring_settings"]["fold_sizes"]) == 8
    events = []
    resumed = run_icm(problem, config, backend, state=checkpoints[0], on_event=events.append)
    assert checkpoints[0].iteration == 3
    assert [e["iteration"] for e in events] == [4, 5, 6]  # it went on from the checkpoint
    assert resumed.labels == full.labels
    assert full.summary["proposals"] > 0


def test_the_recent_last_fold_order_travels_with_the_checkpointed_cache(backend):
    from elicitation.scoring.folds import FoldsScorer

    problem = short_problem(8)
    a = FoldsScorer(problem, backend, (" True", " False"), placement="recent-last")
    a.plan.update({0: True, 1: False, 2: True})
    a.plan.update({0: False, 1: False, 2: True, 5: True})
    saved = a.cache.to_json()
    b = FoldsScorer(problem, backend, (" True", " False"), placement="recent-last")
    b.cache.load_json(saved)
    assert b.plan.order == a.plan.order == [1, 2, 0, 5]
    assert b.plan.labels == a.plan.labels


def test_max_demos_gives_exact_and_folds_a_fixed_subset_and_lets_long_prompts_fit(backend):
    from elicitation import ICMConfig
    from elicitation.scoring import make_scorer

    problem = short_problem(8)
    # ~1,600-token prompts: 7 demonstrations overflow the 8,192-token window
    from elicitation import Example, Problem

    long = Problem([Example(e.id, e.prompt.rstrip() * 100 + " ") for e in problem.examples])
    with pytest.raises(ContextLengthError, match="context window is 8192"):
        make_scorer(long, backend, ICMConfig()).check_context()
    with pytest.raises(ContextLengthError, match=r"needs \d+ tokens but the model's context window is 8192"):
        make_scorer(long, backend, ICMConfig(scoring="folds")).check_context()
    for mode in ("exact", "folds"):
        make_scorer(long, backend, ICMConfig(scoring=mode, max_demos=3)).check_context()  # fits now

    exact = make_scorer(problem, backend, ICMConfig(max_demos=3, seed=4))
    labels = [True, False] * 4
    picked = {i: exact.demos(labels, exclude=i) for i in range(8)}
    assert all(len(d) == 3 and i not in dict(d) for i, d in picked.items())
    assert picked == {i: exact.demos(labels, exclude=i) for i in range(8)}
    assert len({tuple(d) for d in picked.values()}) > 1  # each query has its own subset
    assert exact.settings() == {"scoring": "exact", "max_demos": 3}


def cli(*args, timeout=600):
    return run_elicitation(*args, timeout=timeout, env=small_env(threads=1))


def write_examples(path: Path, n: int) -> Path:
    import json

    sentences = sst2.shortest(min(n, 8))
    path.write_text("".join(json.dumps({"id": f"x{k}", "prompt": TEMPLATE.format(s=sentences[k % len(sentences)])
                                        + f" ({k})"}) + "\n" for k in range(n)))
    return path


def test_cli_refuses_bad_folds_and_max_demos_before_loading_a_model(tmp_path):
    src = write_examples(tmp_path / "in.jsonl", 4)
    r = cli("label", src, "--out", tmp_path / "o.jsonl", "--scoring", "folds", "--folds", "1")
    assert r.returncode == 2 and "config field 'folds'" in r.stderr
    r = cli("label", src, "--out", tmp_path / "o.jsonl", "--max-demos", "0")
    assert r.returncode == 2 and "config field 'max_demos'" in r.stderr
    r = cli("label", src, "--out", tmp_path / "o.jsonl", "--scoring", "folds", "--fold-placement", "last")
    assert r.returncode == 2 and "--fold-placement" in r.stderr and "invalid choice" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_label_with_folds_and_max_demos_records_the_mode(tmp_path):
    import json

    src = write_examples(tmp_path / "in.jsonl", 8)
    out, ck = tmp_path / "out.jsonl", tmp_path / "ck.json"
    r = cli("label", src, "--out", out, "--scoring", "folds", "--folds", "2", "--max-demos", "3",
            "--fold-placement", "arrival", "--iterations", "2", "--initial-labels", "4", "--calibrate", "center",
            "--checkpoint", ck, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "scoring folds (2 folds, placement arrival, at most 3 demonstrations per prompt)" in r.stderr
    config = json.loads(ck.read_text())["config"]
    assert (config["scoring"], config["folds"], config["max_demos"]) == ("folds", 2, 3)
    assert config["fold_placement"] == "arrival"
    assert len(out.read_text().splitlines()) == 8


def test_cli_scores_by_folds_on_a_cpu_over_32_examples_unless_told_otherwise(tmp_path):
    import json

    src = write_examples(tmp_path / "in.jsonl", 33)
    ck = tmp_path / "ck.json"
    r = cli("label", src, "--out", tmp_path / "o.jsonl", "--iterations", "0", "--initial-labels", "2",
            "--checkpoint", ck, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "scoring=folds: a CPU run over 33 examples" in r.stderr
    assert json.loads(ck.read_text())["config"]["scoring"] == "folds"
    r = cli("label", src, "--out", tmp_path / "o.jsonl", "--iterations", "0", "--initial-labels", "2",
            "--checkpoint", ck, "--quiet", "--scoring", "exact")
    assert r.returncode == 0, r.stderr
    assert json.loads(ck.read_text())["config"]["scoring"] == "exact"


def test_going_back_to_the_current_labels_after_a_rejected_proposal_costs_nothing(lm, sst8):
    runner, _ = lm
    ctx = FoldContexts(runner, sst8, assign_folds([None] * 8, 4, seed=0))
    current = {i: i % 2 == 0 for i in range(5)}
    before = ctx.evaluate(current, range(5))
    ctx.evaluate({**current, 6: True}, range(5))  # a proposal, then rejected
    tokens = runner.tokens
    again = ctx.evaluate(current, [*range(5)])
    assert runner.tokens == tokens and again == before


def test_flex_attention_block_masks_give_what_the_float_mask_gives(backend, sst8):
    """The CUDA path (FlexAttention block masks) run here on the CPU through torch's unfused fallback."""
    import warnings

    from elicitation.scoring.kv_cache import ModelRunner

    pytest.importorskip("torch.nn.attention.flex_attention")
    blocks = [list(sst8.demo(i, i % 2 == 0)) for i in range(3)]
    lengths = [len(b) for b in blocks]
    allowed = packed_rows_allowed(torch.ones(3, 0, dtype=torch.bool), torch.zeros(0, dtype=torch.long), lengths)
    args = dict(positions=[p for n in lengths for p in range(n)], allowed=allowed,
                logits_at=list(range(sum(lengths))))
    ids = [t for b in blocks for t in b]
    sdpa, _ = ModelRunner(backend.model).forward(ids, **args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flex, _ = ModelRunner(backend.model, flex=True).forward(ids, **args)
    assert (sdpa - flex).abs().max().item() < 1e-4
    assert backend.model.config._attn_implementation == "sdpa"  # the shared model is given back as it was
