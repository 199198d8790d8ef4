"""What the annotation queue serves while a study's labeling is open: only the study's people items (its
train items for people, then its test items), to the study's annotators (or, when it names none, to anyone who
annotates the dataset). studio.services.annotation.queue asks `queue_items` first; None = no open study, serve
the dataset's annotation split as usual. The study's k is written to dataset.annotation_overlap when its
labeling opens (steps.open_labeling), so the queue's overlap rule is the study's."""
from __future__ import annotations

from django.db.models import BooleanField, F, Func

from studio.models import Example, Study, StudyItem


ID_LISTS = Study.ID_LISTS


class InStudy(Func):
    """`column` is one of the study's people items, as a filter: `.filter(InStudy("pk", study))`. An index probe
    into StudyItem per row tested (written once, when the study was created): the queue walks its own index in
    order and stops at the first items that pass. The `IS TRUE` and the fence below keep PostgreSQL from turning
    the EXISTS into a join over every item of the study (it planned that as a nested loop: seconds per request at
    200,000) or a hash of them all."""

    output_field = BooleanField()

    def __init__(self, column: str, study: Study):
        super().__init__(F(column))
        self.study_id = int(study.pk)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        items = connection.ops.quote_name(StudyItem._meta.db_table)
        # OFFSET 0 (PostgreSQL; SQLite's LIMIT needs no such help) keeps the EXISTS a probe per row: without it
        # PostgreSQL turns it into a hash of every item of the study, built on each query (65 ms at 200,000)
        fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT 1"
        probe = (f"EXISTS (SELECT 1 FROM {items} si WHERE si.study_id = {self.study_id} "
                 f"AND si.example_id = ({column}) {fence})")
        return f"({probe}) IS TRUE", params


def open_study(dataset) -> Study | None:
    """The study whose labeling is open on `dataset`, without its id lists: every annotation request asks, and
    parsing up to 300,000 ids each time is what those requests do not need (InStudy probes StudyItem)."""
    return Study.objects.defer(*ID_LISTS).filter(dataset=dataset, labeling_open=True).first()


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
    if not takes(study, user) or study.human_condition != Study.HumanCondition.PEOPLE:
        return Example.objects.none()
    return Example.objects.filter(InStudy("pk", study), dataset=dataset)
