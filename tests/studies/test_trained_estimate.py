"""The pre-start estimate counts the trained measure (issue 22): features of the prompts the feature cache does not
hold yet for the model (as of its last trained evaluation's fingerprint) and the probe fits — a second study on
the same items is estimated cheaper once the first cached its features. No model: the store is written here."""
import numpy as np
import pytest
from django.utils import timezone

from elicitation.training.features import FeatureStore, zero_shot_prompt
from studio.models import Evaluation, Example
from studio.services.studies.steps import PROBE_FIT_SECONDS, evaluation_cost
from tests.review import factories

pytestmark = pytest.mark.django_db


def test_the_estimate_adds_uncached_features_and_fits_and_drops_what_the_cache_holds(settings, tmp_path):
    settings.STUDIO_FEATURES_DIR = tmp_path / "features"
    settings.STUDIO_DEFAULT_TOKENS_PER_SECOND = 200
    ds = factories.sst2_review_dataset(train=10, test=6, name="sst2-estimate")
    train = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    test = list(Example.objects.filter(dataset=ds, split="test").values_list("pk", flat=True))

    def cost(trained):
        return evaluation_cost(test_ids=test, demo_pool=train, repeats=2, model="smollm2",
                               trained_conditions=trained)

    prompted, cold = cost(0), cost(3)
    assert "trained measure" not in prompted.text
    assert "features of 16 of 16 prompts not cached yet" in cold.text and "6 probe fits" in cold.text
    assert cold.prompts == prompted.prompts + 16
    assert cold.seconds > prompted.seconds + 6 * PROBE_FIT_SECONDS - 1e-9

    # an earlier trained evaluation of this model cached the train items' features under its fingerprint
    Evaluation.objects.create(dataset=ds, state="completed", config={"model": "smollm2"}, finished_at=timezone.now(),
                              results={"trained": {"features": {"model_fingerprint": "f" * 64}}})
    store = FeatureStore(settings.STUDIO_FEATURES_DIR)
    for prompt in Example.objects.filter(pk__in=train).values_list("prompt", flat=True):
        store.put("f" * 64, zero_shot_prompt(prompt), np.zeros(4))
    warm = cost(3)
    assert "features of 6 of 16 prompts not cached yet" in warm.text
    assert prompted.seconds < warm.seconds < cold.seconds and warm.prompts == prompted.prompts + 6
