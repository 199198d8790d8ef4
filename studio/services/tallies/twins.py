"""Twins: the two orders of one comparison ("A>B" and "B>A"), whose rule (Dataset.Consistency.COMPARISON,
elicitation/consistency.py) is "exactly one of the two is True", so one judgement labels both.

An example's twin is the other member of its consistency group when the dataset's consistency is
"comparison", the group has exactly two members and their keys differ (both non-empty). Other groups (three
members, equal keys, "keys" consistency whose different keys only forbid both True) imply nothing.

Where implied votes live: an annotator's label on one order counts, negated, as a vote on its twin in the
kept-on-write people's votes (Example.people_true / people_false, the people's-majority cells and the vote
histogram), never as a HumanLabel row or in that annotator's own cells, so the majority labels both orders while
per-annotator accuracy and agreement count each judgement once. Someone who labeled both orders (possible before
the queue kept them apart) implies nothing: their own labels count, once each.
"""
from __future__ import annotations

import hashlib

from django.db import connection
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from studio.models import Dataset, Example, HumanLabel


def has_twins(dataset: Dataset) -> bool:
    return dataset.consistency == Dataset.Consistency.COMPARISON


def twin_id(example: Example) -> int | None:
    """The id of `example`'s twin, or None."""
    if not (example.group and example.key) or not has_twins(example.dataset):
        return None
    members = list(Example.objects.filter(dataset_id=example.dataset_id, group=example.group).order_by()
                   .values_list("pk", "key")[:3])
    if len(members) != 2:
        return None
    (pk, key), = [m for m in members if m[0] != example.pk]
    return pk if key and key != example.key else None


def pair_ids(example: Example) -> list[int]:
    """The example's id and its twin's, ascending (the order their rows are locked in)."""
    twin = twin_id(example)
    return sorted([example.pk, twin]) if twin else [example.pk]


def chosen_order(user_id: int, dataset_id: int, group: str, ids: list[int]) -> int:
    """The order of a pair `user_id` is shown: one of `ids`, picked by a hash of (user, dataset, group) so it is
    random across people and pairs but the same on every reload."""
    digest = hashlib.sha256(f"{user_id}:{dataset_id}:{group}".encode()).digest()
    return sorted(ids)[digest[0] % 2]


def _twin_parts():
    """(twin id expression, count of the group's other members): the first reads alias _twin_n, the second."""
    others = Example.objects.filter(dataset_id=OuterRef("dataset_id"), group=OuterRef("group")).exclude(pk=OuterRef("pk"))
    n_others = Coalesce(Subquery(others.order_by().values("dataset_id").annotate(c=Count("pk")).values("c"),
                                 output_field=IntegerField()), 0)
    other = Subquery(others.exclude(key="").exclude(key=OuterRef("key")).values("pk")[:1], output_field=IntegerField())
    return Case(When(~Q(group="") & ~Q(key=""), then=Case(When(Q(_twin_n=1), then=other), default=None)),
                default=None, output_field=IntegerField()), n_others


def with_twin(qs, dataset: Dataset, name: str = "twin"):
    """`qs` (Examples of `dataset`) with column `name`: each example's twin id or NULL."""
    if not has_twins(dataset):
        return qs.annotate(**{name: Value(None, output_field=IntegerField())})
    expr, n_others = _twin_parts()
    return qs.alias(_twin_n=n_others).annotate(**{name: expr})


def both_orders_sql(example: str, twin: str) -> str:
    """SQL condition: some annotator labeled both the example and its twin (SQL expressions for their ids)."""
    H = connection.ops.quote_name(HumanLabel._meta.db_table)
    return (f"EXISTS (SELECT 1 FROM {H} h1 JOIN {H} h2 ON h2.annotator_id = h1.annotator_id "
            f"WHERE h1.example_id = {example} AND h2.example_id = {twin})")


def twins_sql(dataset: Dataset | None, ds: str = "%(ds)s") -> str | None:
    """SQL selecting (ex, twin) for every twinned example of the dataset whose id is parameter `ds` (written as
    the statement's placeholders are), or None when the dataset has no twins."""
    if dataset is None or not has_twins(dataset):
        return None
    E = connection.ops.quote_name(Example._meta.db_table)
    g, k = connection.ops.quote_name("group"), connection.ops.quote_name("key")
    return (f"SELECT a.id AS ex, b.id AS twin FROM {E} a JOIN {E} b ON b.dataset_id = a.dataset_id "
            f"AND b.{g} = a.{g} AND b.id <> a.id WHERE a.dataset_id = {ds} AND a.{g} <> '' AND a.{k} <> '' "
            f"AND b.{k} <> '' AND a.{k} <> b.{k} AND NOT EXISTS (SELECT 1 FROM {E} c WHERE c.dataset_id = a.dataset_id "
            f"AND c.{g} = a.{g} AND c.id <> a.id AND c.id <> b.id)")
