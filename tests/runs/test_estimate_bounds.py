"""The run estimate's cost model bounds what searches really spend (issue 26: a comparison run used 69,341
tokens of an estimated 46,511, as ConsistencyFix's evaluations were not in the model). A scripted backend that
counts tokens the way the hf backend does (sorted prompts, a shared prefix run once; whitespace words as
tokens) and scores by hashing the prompt; the engine's real search, scorers and ConsistencyFix. The bundled
model's own ratios: benchmarks/estimate_vs_used.py."""
import hashlib
import random

import pytest

from elicitation import Example, ICMConfig, Problem, run_icm
from elicitation.backends.base import BackendMixin, BatchScores, common_prefix_length
from elicitation.coverage import coverage
from studio.services.runs.estimates import BatchShape, batch_tokens, binds, initial_tokens
from tests.engine.fakes import logprobs_for


class WordBackend(BackendMixin):
    name, fingerprint, context_length = "words", None, 10**6

    def count_tokens(self, text):
        return len(text.split())

    def score_batch(self, prompts, label_words):
        encoded = [tuple(p.split()) for p in prompts]
        unique, tokens, held, out = sorted(set(encoded)), 0, 0, {}
        for k, seq in enumerate(unique):
            tokens += len(seq) - held
            query = " ".join(seq[-12:])
            noise = int(hashlib.sha256(" ".join(seq).encode()).hexdigest()[:8], 16) / 2**32 - 0.5
            signal = int(hashlib.sha256(query.encode()).hexdigest()[:8], 16) / 2**32 - 0.5
            out[seq] = logprobs_for(4 * signal + noise)
            held = common_prefix_length(seq, unique[k + 1]) if k + 1 < len(unique) else 0
        return BatchScores([out[e] for e in encoded], tokens)


def problem(n: int, pairs: bool, seed: int) -> Problem:
    rng = random.Random(seed)
    examples = []
    for i in range(n):
        words = " ".join(f"w{rng.randrange(1000)}" for _ in range(40))
        if pairs:
            examples.append(Example(i, f"pair {i // 2} order {i % 2} {words}\nClaim:", group=f"g{i // 2}",
                                    key="A>B" if i % 2 == 0 else "B>A"))
        else:
            examples.append(Example(i, f"{words}\nClaim:"))
    return Problem(examples, consistency="comparison" if pairs else "none")


@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_an_exact_search_spends_no_more_tokens_than_estimated(pairs, seed):
    p = problem(16, pairs, seed)
    config = ICMConfig(seed=seed, iterations=20, initial_labels=8, scoring="exact", fill=True, calibrate="center")
    initial = []
    result = run_icm(p, config, WordBackend(), on_progress=lambda r: r["phase"] == "initial" and initial.append(r))
    used = result.summary["tokens"] + result.summary.get("fill_tokens", 0)
    mean = sum(len(e.prompt.split()) for e in p.examples) / len(p.examples)
    shape = BatchShape(len(p.examples), mean, coverage(p, config.iterations).expected_unvisited,
                       consistency_groups=binds(p))
    assert binds(p) is pairs
    assert used <= batch_tokens(shape, config.to_dict())
    # the page's "scoring the initial labels: N of ~M tokens": M bounds N (prompt characters / 4 vs words here)
    words_per_char = mean / (sum(len(e.prompt) for e in p.examples) / len(p.examples))
    assert initial[-1]["tokens"] <= initial_tokens(p, config.to_dict()) * 4 * words_per_char


@pytest.mark.parametrize("seed", range(3))
def test_a_capped_search_spends_no_more_tokens_than_estimated(seed):
    """max_demos below the labeled count: each prompt its own subset of demonstrations, little shared prefix
    (the study's reduced designs use it)."""
    p = problem(16, True, seed)
    config = ICMConfig(seed=seed, iterations=8, initial_labels=4, scoring="exact", max_demos=4, fill=True,
                       calibrate="center")
    result = run_icm(p, config, WordBackend())
    used = result.summary["tokens"] + result.summary.get("fill_tokens", 0)
    mean = sum(len(e.prompt.split()) for e in p.examples) / len(p.examples)
    shape = BatchShape(16, mean, coverage(p, config.iterations).expected_unvisited, consistency_groups=True)
    assert used <= batch_tokens(shape, config.to_dict())
