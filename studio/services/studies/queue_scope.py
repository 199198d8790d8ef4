"""What the annotation queue serves while a study's labeling is open: only the study's people items (its
train items for people, then its test items), to the study's annotators (or, when it names none, to anyone who
annotates the dataset). studio.services.annotation.queue asks `queue_items` first; None = no open study, serve
the dataset's annotation split as usual. The study's k is written to dataset.annotation_overlap when its
labeling opens (steps.open_labeling), so the queue's overlap rule is the study's."""
from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func
from django.db.models.expressions import RawSQL

from studio.models import Example, Study


def people_items(study: Study) -> RawSQL:
    """The study's people items (people_train_ids then test_ids) as a subquery that reads them from the study's
    row in the database, for `pk__in=`: the queue, a label's check and the progress ask every request, and a
    list of up to 200,000 ids sent as parameters each time made every annotation page several times slower."""
    table = connection.ops.quote_name(Study._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (f"SELECT jsonb_array_elements_text(s.people_train_ids || s.test_ids)::bigint FROM {table} s "
               f"WHERE s.id = %s")
    else:
        sql = (f"SELECT CAST(j.value AS INTEGER) FROM {table} s, json_each(s.people_train_ids) j WHERE s.id = %s "
               f"UNION ALL SELECT CAST(j.value AS INTEGER) FROM {table} s, json_each(s.test_ids) j WHERE s.id = %s")
    return RawSQL(sql, [study.pk] * (1 if connection.vendor == "postgresql" else 2))


ID_LISTS = ("icm_pool_ids", "people_train_ids", "test_ids")


class InStudy(Func):
    """`column` is one of the study's people items, as a filter: `.filter(InStudy("pk", study))`. Unlike
    `pk__in=people_items(study)`, which PostgreSQL turns into a join it plans for a hundred items (a nested loop
    over all of them: seconds per request at 200,000), the `IS TRUE` keeps it a hashed test beside the other
    conditions, so the queue walks its index in order and stops at the first items that pass."""

    output_field = BooleanField()

    def __init__(self, column: str, study: Study):
        super().__init__(F(column))
        self.study_id = int(study.pk)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        table = connection.ops.quote_name(Study._meta.db_table)
        if connection.vendor == "postgresql":
            items = (f"SELECT jsonb_array_elements_text(s.people_train_ids || s.test_ids)::bigint FROM {table} s "
                     f"WHERE s.id = {self.study_id}")
            return f"(({column}) IN ({items})) IS TRUE", params
        items = (f"SELECT CAST(j.value AS INTEGER) FROM {table} s, json_each(s.people_train_ids) j "
                 f"WHERE s.id = {self.study_id} UNION ALL SELECT CAST(j.value AS INTEGER) FROM {table} s, "
                 f"json_each(s.test_ids) j WHERE s.id = {self.study_id}")
        return f"({column}) IN ({items})", params


def open_study(dataset) -> Study | None:
    """The study whose labeling is open on `dataset`, without its id lists: every annotation request asks, and
    parsing up to 300,000 ids each time is what those requests do not need (people_items reads them in SQL)."""
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
