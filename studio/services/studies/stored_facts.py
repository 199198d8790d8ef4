"""What the study page shows that costs a pass over the study's items, computed once and kept on its row.

The item sets' descriptions never change after creation. The ICM run's and the evaluation's estimates read every
prompt of up to 100,000 items (seconds each at the largest sizes) and change only with the study's settings, model
or repeats, or as the model's throughput is re-learned: they are stored with the inputs they were computed from and when,
computed again when those inputs differ, and shown with their date otherwise."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from studio.models import Study

from .item_counts import sizes, store
from .item_sets import describe_items


def _inputs(study: Study) -> dict:
    """What the estimates depend on besides the item sets (which never change): the study's settings, model and
    repeats, and the newest measurement its model's throughput is learned from (a finished batch, a completed
    evaluation: two index reads), so a re-learned throughput gives new estimates once."""
    from studio.models import Evaluation, RunBatch

    batch = (RunBatch.objects.filter(run__model=study.model, tokens_used__gt=0, seconds_used__gt=0,
                                     state__in=[RunBatch.State.COMPLETED, RunBatch.State.CANCELED])
             .order_by("-pk").values_list("pk", flat=True).first())
    evaluation = (Evaluation.objects.filter(state=Evaluation.State.COMPLETED, config__model=study.model)
                  .order_by("-pk").values_list("pk", flat=True).first())
    return {"settings": study.settings or {}, "model": study.model, "repeats": study.repeats,
            "measured": [batch, evaluation]}


def items(study: Study) -> dict:
    """The item sets in words ('128 whole pairs = 256 examples'), described once."""
    stored = (study.facts or {}).get("items")
    return store(study, "items", describe_items(study)) if stored is None else stored


def refresh_estimates(study: Study, *, user) -> dict:
    """Compute the ICM run's and the evaluation's estimates now and keep them (with the time and their inputs)."""
    from .steps import icm_seconds, study_evaluation_cost

    icm_text, icm_secs = icm_seconds(study, user=user)
    evaluation = study_evaluation_cost(study)
    return store(study, "estimates", {"inputs": _inputs(study), "computed_at": timezone.now().isoformat(),
                                      "icm": {"text": icm_text, "seconds": icm_secs},
                                      "evaluation": {"text": evaluation.text, "seconds": evaluation.seconds}})


def needs_confirmation(estimate: dict) -> bool:
    """Above this deployment's STUDIO_CONFIRM_RUN_SECONDS now (the limit is read when shown, not stored)."""
    return estimate.get("seconds") is not None and estimate["seconds"] > float(settings.STUDIO_CONFIRM_RUN_SECONDS)


def estimates(study: Study, *, user) -> dict:
    """The stored estimates ({"icm": {text, seconds (None: cannot start)}, "evaluation": {...}, "computed_at":
    ISO time}), computed again only when the study's settings, model or repeats, or its model's measured
    throughput, changed since."""
    stored = (study.facts or {}).get("estimates")
    if not stored or stored.get("inputs") != _inputs(study):
        return refresh_estimates(study, user=user)
    return stored


def compute_all(study: Study, *, user) -> None:
    """At creation: the item sets and the estimates, so the first view of the study page reads them."""
    items(study)
    sizes(study)
    refresh_estimates(study, user=user)
