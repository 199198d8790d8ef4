"""A deleted account's labels leave the tallies. Django deletes them by cascade (User → HumanLabel), with
no service in the way, so this is the one hook (pre_delete on the user model, connected in StudioConfig.ready):
it runs inside the deletion's transaction, locks each affected dataset against writers, deletes the labels
itself and recounts those datasets. A recount rather than per-example updates: exact by construction, and
its cost is bounded by the dataset, not by how much the person labeled."""
from __future__ import annotations

from django.db import transaction

from studio.models import Example, HumanLabel

from .recount import _exclusive_lock, rebuild


def forget_annotator(sender, instance, **kwargs) -> None:
    labels = HumanLabel.objects.filter(annotator_id=instance.pk)
    dataset_ids = sorted(set(Example.objects.filter(pk__in=labels.values("example_id"))
                             .values_list("dataset_id", flat=True)))
    if not dataset_ids:
        return
    with transaction.atomic():
        for pk in dataset_ids:  # one order everywhere: no two deletions deadlock
            _exclusive_lock(pk)
        labels.delete()
        for pk in dataset_ids:
            rebuild(pk)
