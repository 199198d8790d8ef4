"""The vLLM backend against a STAND-IN `vllm` module (tests/engine/fake_vllm.py: vLLM needs a CUDA GPU and
cannot be installed here). What a user of a GPU worker would notice: the prompts sent as token ids, exact
label-word log-probs even outside the top 20, tokens counted as computed (prefix-cache hits not counted), the
engine's limits set and read back, and a worker that switches models releasing the first one."""
import math
import os

import pytest

from elicitation import BackendError, Example, ICMConfig, Problem
from elicitation.scoring import make_scorer
from tests.engine import fake_vllm

WORDS = (" True", " False")


@pytest.fixture
def vllm(monkeypatch):
    monkeypatch.delenv("VLLM_WORKER_MULTIPROC_METHOD", raising=False)
    return fake_vllm.install(monkeypatch)


def load(**options):
    from elicitation.backends.vllm_backend import VLLMBackend

    return VLLMBackend.load("some/model", device="cuda", **options)


def exact(ids, words_ids):
    lp = fake_vllm.next_logprobs(list(ids))
    top = max(lp[i] for i in words_ids)
    return top + math.log(sum(math.exp(lp[i] - top) for i in words_ids))


def test_requests_are_token_ids_with_the_label_tokens_allowed_and_the_limits_set(vllm):
    backend = load(max_model_len=2048, gpu_memory_utilization=0.5)
    llm = fake_vllm.made[-1]
    assert llm.engine_args["max_model_len"] == 2048 and llm.engine_args["gpu_memory_utilization"] == 0.5
    assert llm.engine_args["enable_prefix_caching"] is True
    assert backend.context_length == 2048
    assert os.environ["VLLM_WORKER_MULTIPROC_METHOD"] == "spawn"
    prompt = backend.tokenizer.encode("Claim: the sky is blue. I think this claim is")
    backend.score_token_batch([prompt], WORDS)
    ids, params = llm.requests[0]
    assert ids == prompt
    assert params.max_tokens == 1 and params.temperature == 0.0
    assert sorted(params.allowed_token_ids) == [256, 257, 258, 259]  # every variant of both words


def test_label_words_outside_the_top_20_get_their_exact_log_probs(vllm):
    backend = load(max_model_len=1024)
    inside = backend.tokenizer.encode("Is this true? I think this claim is")
    outside = backend.tokenizer.encode("Is this true? I think this claim is!")  # 30 fillers outrank the labels
    lp = fake_vllm.next_logprobs(outside)
    ranked = sorted(range(fake_vllm.VOCAB), key=lambda i: -lp[i])
    assert all(ranked.index(i) >= 20 for i in (256, 257, 258, 259))  # the case this test is about
    results = backend.score_token_batch([inside, outside], WORDS).results
    for ids, r in zip((inside, outside), results):
        assert r.exact
        assert r.logp_true == pytest.approx(exact(ids, [256, 257]), abs=1e-9)
        assert r.logp_false == pytest.approx(exact(ids, [258, 259]), abs=1e-9)
    assert abs(results[1].log_odds) < 20  # a real difference of two log-probs, not the top-k floor value


def test_tokens_count_what_the_engine_computed_not_prefix_cache_hits(vllm):
    backend = load(max_model_len=1024)
    shared = "Sentence: a long shared context of demonstrations. " * 4  # 204 characters = 204 tokens
    prompts = [backend.tokenizer.encode(shared + f"Query {k}: I think this claim is") for k in range(3)]
    first = backend.score_token_batch(prompts, WORDS)
    llm = fake_vllm.made[-1]
    computed = sum(len(ids) for ids, _ in llm.requests)  # the stand-in's cache starts empty ...
    cached_blocks = (len(backend.tokenizer.encode(shared)) // 16) * 16
    assert first.tokens < computed - cached_blocks  # ... and the 2nd and 3rd prompts hit the shared blocks
    sent_before = len(llm.requests)
    again = backend.score_token_batch(prompts, WORDS)
    # every block was cached: each request recomputes only what follows its last full 16-token block
    assert again.tokens <= (len(llm.requests) - sent_before) * fake_vllm.BLOCK
    assert again.tokens < sum(len(p) for p in prompts) / 4
    assert backend.tokens_requested > first.tokens + again.tokens


def test_the_engine_limit_is_never_silently_unknown(vllm, monkeypatch):
    from elicitation.backends.vllm_backend import VLLMBackend

    llm = fake_vllm.LLM("some/model")
    del llm.llm_engine.model_config  # a vLLM version that keeps it elsewhere
    with pytest.raises(BackendError, match="max_model_len"):
        VLLMBackend(llm, name="m")
    assert VLLMBackend(llm, name="m", max_model_len=512).context_length == 512
    backend = load(max_model_len=64)
    with pytest.raises(BackendError, match="max_model_len 64"):
        backend.score_token_batch([[65] * 80], WORDS)


def test_folds_on_vllm_send_token_prompts_equal_to_the_text_prompts(vllm):
    backend = load(max_model_len=4096)
    problem = Problem([Example(f"e{k}", f"Sentence {k}: {'good' if k % 2 else 'bad'} film.\nI think this claim is")
                       for k in range(8)])
    config = ICMConfig(scoring="folds", folds=2, seed=0)
    scorer = make_scorer(problem, backend, config)
    labels = [k % 3 == 0 for k in range(8)]
    scores = scorer.evaluate(labels)
    llm = fake_vllm.made[-1]
    sent = {tuple(ids) for ids, _ in llm.requests}
    scorer.plan.update({i: labels[i] for i in range(8)})
    for i in range(8):
        text = scorer.builder.prompt([(j, labels[j]) for j in scorer.plan.members(scorer.fold_of[i])], i)
        ids = backend.tokenizer.encode(text)
        assert tuple(ids) in sent  # the same prompt as the text path, built from cached pieces
        assert scores[i].logp_true == pytest.approx(exact(ids, [256, 257]), abs=1e-9)
    requests = len(llm.requests)
    assert scorer.evaluate(labels) == scores and len(llm.requests) == requests  # remembered, nothing sent


def test_a_worker_switching_models_releases_the_first(vllm, settings, tmp_path):
    from studio.services.engine_port import model_cache

    settings.STUDIO_MODELS_DIR = tmp_path
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    model_cache.release_all()
    first, reused = model_cache.get_backend(model=str(tmp_path / "a"), kind="vllm", device="cuda",
                                            max_model_len=1024)
    assert not reused and first.context_length == 1024
    again, reused = model_cache.get_backend(model=str(tmp_path / "a"), kind="vllm", device="cuda",
                                            max_model_len=512)
    assert reused and again is first  # a shorter run reuses the loaded engine
    model_cache.get_backend(model=str(tmp_path / "b"), kind="vllm", device="cuda", max_model_len=1024)
    loads = [e for e in fake_vllm.events if e.startswith(("load", "shutdown"))]
    assert loads == [f"load {tmp_path / 'a'}", f"shutdown {tmp_path / 'a'}", f"load {tmp_path / 'b'}"]
    assert first.llm is None  # the backend let go of its engine
    model_cache.get_backend(model=str(tmp_path / "b"), kind="vllm", device="cuda", max_model_len=8192)
    loads = [e for e in fake_vllm.events if e.startswith(("load", "shutdown"))]
    assert loads[-2:] == [f"shutdown {tmp_path / 'b'}", f"load {tmp_path / 'b'}"]  # a run that needs more: reload
    assert fake_vllm.made[-1].engine_args["max_model_len"] == 8192
    model_cache.release_all()
