"""What the annotation queue serves while a study's labeling is open: only the study's people items (its
train items for people, then its test items), to the study's annotators (or, when it names none, to anyone who
annotates the dataset). studio.services.annotation.queue asks `queue_items` first; None = no open study, serve
the dataset's annotation split as usual. The study's k is written to dataset.annotation_overlap when its
labeling opens (steps.open_labeling), so the queue's overlap rule is the study's."""
from __future__ import annotations

from django.db import connection
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
    return Example.objects.filter(dataset=dataset, pk__in=people_items(study))
