"""What the annotation queue serves while a study's labeling is open: only the study's people items (its
train items for people, then its test items), to the study's annotators (or, when it names none, to anyone who
annotates the dataset). studio.services.annotation.queue asks `queue_items` first; None = no open study, serve
the dataset's annotation split as usual. The study's k is written to dataset.annotation_overlap when its
labeling opens (steps.open_labeling), so the queue's overlap rule is the study's."""
from __future__ import annotations

from studio.models import Example, Study


def open_study(dataset) -> Study | None:
    return Study.objects.filter(dataset=dataset, labeling_open=True).first()


def takes(study: Study, user) -> bool:
    """Whether `user` labels for `study` (its annotators; anyone annotating the dataset when it names none)."""
    if user is None:
        return True
    chosen = study.annotators.all()
    return not chosen.exists() or chosen.filter(pk=user.pk).exists()


def queue_items(dataset, user=None):
    """The examples the queue may hand `user` on `dataset` while a study's labeling is open (none when they are
    not one of its annotators); None when no study's labeling is open."""
    study = open_study(dataset)
    if study is None:
        return None
    if not takes(study, user):
        return Example.objects.none()
    return Example.objects.filter(dataset=dataset, pk__in=study.people_item_ids)
