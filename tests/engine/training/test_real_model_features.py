"""The feature rule on the bundled model (SmolLM2-135M-Instruct) and four real SST-2 sentences: the LM head
applied to each feature vector gives exactly the engine's zero-shot score of that example, so the probe reads the
vector the model answers zero-shot from. Kept to four sentences (seconds on a CPU)."""
import numpy as np
import pytest

from elicitation import ICMConfig, baselines
from elicitation.training import FeatureStore, compute_features, train_and_predict

from tests.support import sst2

from .test_features import lm_head_log_odds

pytestmark = pytest.mark.slow


def test_bundled_model_features_reproduce_its_zero_shot_scores(tmp_path, bundled_backend):
    backend = bundled_backend
    problem, gold = sst2.problem(4)
    prompts = [e.prompt for e in problem.examples]
    X = compute_features(backend, prompts, batch_size=4)
    assert X.shape == (4, 576)
    engine = baselines.zero_shot(problem, backend, ICMConfig(calibrate="none"))
    np.testing.assert_allclose(lm_head_log_odds(backend, X), [engine.scores[e.id] for e in problem.examples],
                               atol=2e-3)
    store = FeatureStore(tmp_path)
    labels = [gold[e.id] for e in problem.examples]
    out = train_and_predict("probe", backend, prompts, labels, prompts, store=store)
    assert out.summary["feature_misses"] == 4 and out.artifact["model_fingerprint"] == backend.fingerprint
    again = train_and_predict("probe", backend, prompts, labels, prompts, store=store)
    assert again.summary["feature_misses"] == 0 and again.summary["feature_hits"] == 4
    np.testing.assert_allclose(again.scores, out.scores)
