"""Which examples a run labels. Chosen once when the run starts and frozen in run.example_ids, so a re-delivered
task resumes on exactly the same problem even if people have labeled more examples since.

A subset never splits a consistency group (Example.group: both orders of a comparison pair, every answer to a
question; an example with an empty group is a group of its own): the consistency rules only bind examples that are
labeled together, so a sample of loose examples would lose the constraint the paper calls crucial.

Sample rounding (SAMPLE_RULE, also the form's and the API's help text): groups are drawn in a seeded random order
and a group is taken when it still fits, so the sample is the requested size or the nearest total below it that
whole groups reach; it never exceeds the request, which a researcher sets as a budget (prompt length, time)."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from studio.models import ElicitationRun, Example
from studio.services.splits import dataset_splits

from .errors import RunRefused

Subset = ElicitationRun.Subset

SAMPLE_RULE = ("A sample takes whole consistency groups (both orders of a pair, every answer to a question), "
               "drawn in a seeded random order: it holds the requested number of examples, or the nearest total "
               "below it that whole groups reach, never more.")


@dataclass(frozen=True)
class ChosenExamples:
    """The run's examples, how many whole groups they form, and a sentence saying how they were chosen
    (blank for the whole split)."""

    ids: list[int]
    groups: int
    note: str = ""


def _groups(rows) -> dict[object, list[int]]:
    """Example pks by consistency group, groups and members in dataset order; no group = a group of one."""
    groups: dict[object, list[int]] = {}
    for pk, group in rows:
        groups.setdefault(group if group else ("alone", pk), []).append(pk)
    return groups


def _count_words(groups: list[list[int]]) -> str:
    """'128 whole pairs', '40 whole groups', '256 ungrouped examples' (groups of one)."""
    sizes = Counter(len(g) for g in groups)
    n = len(groups)
    if set(sizes) == {1}:
        return f"{n} ungrouped example{'s' if n != 1 else ''}"
    if set(sizes) == {2}:
        return f"{n} whole pair{'s' if n != 1 else ''}"
    return f"{n} whole group{'s' if n != 1 else ''}"


def _in_dataset_order(rows, chosen: list[list[int]]) -> list[int]:
    keep = {pk for g in chosen for pk in g}
    return [pk for pk, _ in rows if pk in keep]


def _sample(rows, groups: dict[object, list[int]], *, size: int, seed: int, where: str) -> ChosenExamples:
    total = sum(len(g) for g in groups.values())
    smallest = min(len(g) for g in groups.values())
    if size > total:
        raise RunRefused(f"sample_size: {size} is more than the {total} examples in {where}", "sample_size")
    if size < smallest:
        raise RunRefused(
            f"sample_size: {size} is smaller than the smallest consistency group in {where} ({smallest} examples); "
            f"a sample takes whole groups, so ask for at least {smallest}", "sample_size")
    order = list(groups)
    random.Random(seed).shuffle(order)
    taken, count = set(), 0
    for key in order:
        if count + len(groups[key]) <= size:
            taken.add(key)
            count += len(groups[key])
            if count == size:
                break
    chosen = [groups[key] for key in groups if key in taken]
    ids = _in_dataset_order(rows, chosen)
    note = f"sample of {size} requested: {_count_words(chosen)} = {count} examples"
    return ChosenExamples(ids=ids, groups=len(chosen), note=note)


def _chosen_ids(rows, groups: dict[object, list[int]], example_ids, *, where: str) -> ChosenExamples:
    """subset "ids": exactly these examples (a study's ICM pool), which must lie in `where` and form whole
    groups."""
    try:
        wanted = {int(pk) for pk in example_ids or ()}
    except (TypeError, ValueError):
        raise RunRefused("example_ids: expected a list of example ids (whole numbers)", "example_ids") from None
    if not wanted:
        raise RunRefused("example_ids: subset 'ids' needs at least one example id", "example_ids")
    outside = wanted - {pk for pk, _ in rows}
    if outside:
        raise RunRefused(f"example_ids: {len(outside)} of them are not in {where} (e.g. {min(outside)})",
                         "example_ids")
    chosen = [g for g in groups.values() if wanted.intersection(g)]
    broken = [g for g in chosen if not wanted.issuperset(g)]
    if broken:
        raise RunRefused(f"example_ids: {len(broken)} consistency group(s) are cut (e.g. example {broken[0][0]} "
                         "is left out of its group); give whole groups", "example_ids")
    ids = _in_dataset_order(rows, chosen)
    return ChosenExamples(ids=ids, groups=len(chosen), note=f"{len(ids)} chosen examples: {_count_words(chosen)}")


def choose_examples(dataset, *, split: str, subset: str, sample_size: int | None,
                    sample_seed: int | None, example_ids: list[int] | None = None) -> ChosenExamples:
    if subset not in Subset.values:
        raise RunRefused(f"subset {subset!r} is not one of {', '.join(Subset.values)}")
    qs = Example.objects.filter(dataset=dataset)
    if split:
        qs = qs.filter(split=split)
        if not qs.exists():
            splits = ", ".join(dataset_splits(dataset))
            raise RunRefused(f"split {split!r} has no examples in {dataset.name} (its splits: {splits})")
    where = f"split {split!r} of {dataset.name}" if split else dataset.name
    rows = list(qs.order_by("position", "pk").values_list("pk", "group"))
    if not rows:
        raise RunRefused(f"{where} has no examples to label")
    groups = _groups(rows)
    if subset == Subset.IDS:
        return _chosen_ids(rows, groups, example_ids, where=where)
    if subset == Subset.HUMAN_LABELED:
        labeled = set(qs.filter(human_labels__isnull=False).values_list("pk", flat=True))
        if not labeled:
            raise RunRefused(f"{where} has no examples with human labels to label")
        chosen = [g for g in groups.values() if labeled.intersection(g)]
        ids = _in_dataset_order(rows, chosen)
        note = (f"{len(labeled)} example{'s' if len(labeled) != 1 else ''} with human labels, with their groups: "
                f"{_count_words(chosen)} = {len(ids)} examples")
        return ChosenExamples(ids=ids, groups=len(chosen), note=note)
    if subset == Subset.SAMPLE:
        if sample_size is None or sample_size < 1:
            raise RunRefused("sample_size: a random sample needs a size of at least 1", "sample_size")
        return _sample(rows, groups, size=sample_size, seed=0 if sample_seed is None else sample_seed, where=where)
    return ChosenExamples(ids=[pk for pk, _ in rows], groups=len(groups))


def choose_example_ids(dataset, *, split: str, subset: str, sample_size: int | None,
                       sample_seed: int | None) -> list[int]:
    return choose_examples(dataset, split=split, subset=subset, sample_size=sample_size,
                           sample_seed=sample_seed).ids


def example_rows(ids: list[int]) -> list[tuple]:
    """(pk, prompt, group, key) of these examples, in the order of `ids`: what the engine's Problem is built
    from, at planning and in the worker."""
    rows = {row[0]: row for row in Example.objects.filter(pk__in=ids).values_list("pk", "prompt", "group", "key")}
    return [rows[pk] for pk in ids if pk in rows]


def run_examples(run: ElicitationRun) -> QuerySet[Example]:
    """The run's example subset, in a stable order (dataset position)."""
    return Example.objects.filter(pk__in=run.example_ids).order_by("position", "pk")
