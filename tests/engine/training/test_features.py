"""The feature rule and its file store, on a tiny random Llama built in a temporary folder (tiny_model.py): the
vector is the one the LM head reads at the zero-shot prompt's last token (padding handled), and a second
evaluation reading the same store computes nothing."""
import numpy as np
import pytest

from elicitation.errors import InputError
from elicitation.training import FeatureStore, compute_features, count_prompt_tokens, zero_shot_prompt
from elicitation.training.features import TrainingStopped

from . import tiny_model

SENTENCES = ["good", "very bad film was not great", "a movie", "the plot was fine", "awful acting"]
PROMPTS = [tiny_model.prompt(s) for s in SENTENCES]


def lm_head_log_odds(backend, X):
    import torch

    head = backend.model.get_output_embeddings()
    with torch.no_grad():
        logp = torch.log_softmax(head(torch.tensor(X)), dim=-1)
    t, f = backend.label_token_ids((" True", " False"))
    return (torch.logsumexp(logp[:, t], -1) - torch.logsumexp(logp[:, f], -1)).numpy()


def test_features_are_what_the_lm_head_reads_at_the_zero_shot_prompts_last_token(tiny_backend):
    # prompts of different lengths share batches of 2: the padding must not move the vector
    X = compute_features(tiny_backend, PROMPTS, batch_size=2)
    assert X.dtype == np.float32 and X.shape == (len(PROMPTS), tiny_backend.model.config.hidden_size)
    zero_shot = tiny_backend.score([zero_shot_prompt(p) for p in PROMPTS])
    np.testing.assert_allclose(lm_head_log_odds(tiny_backend, X), zero_shot, atol=1e-4)
    # the zero-shot query drops the template's trailing space (the label words carry it)
    assert zero_shot_prompt(PROMPTS[0]).endswith("this claim is")
    alone = compute_features(tiny_backend, PROMPTS[1:2], batch_size=1)
    np.testing.assert_allclose(alone[0], X[1], atol=1e-5)


def test_a_second_evaluation_reads_every_vector_from_the_store(tiny_backend, tmp_path):
    store = FeatureStore(tmp_path / "features")
    first = compute_features(tiny_backend, PROMPTS + PROMPTS[:2], store)  # duplicates computed once
    assert (store.hits, store.misses) == (0, len(PROMPTS))
    assert len(list((tmp_path / "features").rglob("*.npy"))) == len(PROMPTS)
    later = FeatureStore(tmp_path / "features")  # another evaluation, another process: same folder
    calls = []
    second = compute_features(tiny_backend, list(reversed(PROMPTS)), later, progress=lambda d, t: calls.append(t))
    assert later.misses == 0 and later.hits == len(PROMPTS)
    assert calls == [0]  # nothing left to compute
    np.testing.assert_array_equal(second, first[:len(PROMPTS)][::-1])


def test_the_store_is_keyed_by_model(tiny_backend, tmp_path):
    store = FeatureStore(tmp_path)
    compute_features(tiny_backend, PROMPTS[:2], store)
    other = "f" * 64
    assert store.get(other, zero_shot_prompt(PROMPTS[0])) is None
    assert store.get(tiny_backend.fingerprint, zero_shot_prompt(PROMPTS[0])) is not None


def test_progress_stop_and_token_counts(tiny_backend, tmp_path):
    seen = []
    compute_features(tiny_backend, PROMPTS, batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    store = FeatureStore(tmp_path)
    with pytest.raises(TrainingStopped):
        compute_features(tiny_backend, PROMPTS, store, batch_size=2, should_stop=lambda: store.misses and True
                         and len(list(tmp_path.rglob("*.npy"))) >= 2)
    assert len(list(tmp_path.rglob("*.npy"))) == 2  # what was computed before the stop is kept
    tokens = count_prompt_tokens(tiny_backend, PROMPTS)
    assert tokens[0] < tokens[1] and tokens[0] == len(tiny_backend._encode(zero_shot_prompt(PROMPTS[0])))


def test_a_backend_without_hidden_states_is_refused_by_name():
    class Remote:
        name = "remote-server"

    with pytest.raises(InputError, match="remote-server"):
        compute_features(Remote(), PROMPTS)
