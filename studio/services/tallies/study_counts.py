"""A study's labeling progress kept exact on write (StudyTally), read in a few rows however large the study:
state.json (polled every 2 s), the study page and the labeling page asked up to millions of labels per request.

Units: a comparison dataset's pair counts once (its group; each person sees one order), else the example
(StudyItem.unit). Only annotators' labels count (source ANNOTATOR). `keeping` (tallies.keeping) calls `before`
and `after` around every change to an example's labels; bulk events rebuild (`rebuild`, from tallies.rebuild,
and `fill` when a study is created)."""
from __future__ import annotations

from collections import Counter

from django.db import connection

from studio.models import Dataset, Example, HumanLabel, Study, StudyItem, StudyTally

Kind = StudyTally.Kind
FILL_BATCH = 5000


def unit_of(dataset: Dataset, pk: int, group: str) -> str:
    return f"g:{group}" if dataset.consistency == Dataset.Consistency.COMPARISON and group else f"e:{pk}"


def fill(study: Study) -> None:
    """Write the study's items (once, at creation) and count what is already labeled on them."""
    ids = study.people_item_ids
    dataset = study.dataset
    for start in range(0, len(ids), FILL_BATCH):
        rows = Example.objects.filter(pk__in=ids[start:start + FILL_BATCH]).values_list("pk", "group")
        StudyItem.objects.bulk_create([StudyItem(study=study, example_id=pk, unit=unit_of(dataset, pk, group))
                                       for pk, group in rows], ignore_conflicts=True)
    rebuild(study)


def _labels():
    return HumanLabel.objects.filter(source=HumanLabel.Source.ANNOTATOR)


def counted(study: Study) -> Counter:
    """{(kind, ref): n} of the study's progress counted from scratch: one pass over the labels on its items."""
    label_t, item_t = (connection.ops.quote_name(m._meta.db_table) for m in (HumanLabel, StudyItem))
    with connection.cursor() as cur:
        cur.execute(f"SELECT si.unit, hl.annotator_id FROM {label_t} hl JOIN {item_t} si "
                    f"ON si.example_id = hl.example_id AND si.study_id = %s WHERE hl.source = %s "
                    f"GROUP BY si.unit, hl.annotator_id", [study.pk, HumanLabel.Source.ANNOTATOR])
        pairs = cur.fetchall()
    per_unit, per_person = Counter(u for u, _ in pairs), Counter(a for _, a in pairs)
    n_units = StudyItem.objects.filter(study=study).values("unit").distinct().count()
    hist = Counter(per_unit.values())
    hist[0] = n_units - len(per_unit)
    return Counter({(Kind.PEOPLE, v): n for v, n in hist.items()}
                   | {(Kind.ANNOTATOR, a): n for a, n in per_person.items()})


def stored(study: Study) -> Counter:
    return Counter({(kind, ref): n for kind, ref, n in
                    StudyTally.objects.filter(study=study).values_list("kind", "ref", "n")})


def rebuild(study: Study) -> None:
    """Replace the study's progress with a count from scratch (bulk events only)."""
    rows = counted(study)
    StudyTally.objects.filter(study=study).delete()
    StudyTally.objects.bulk_create([StudyTally(study=study, kind=kind, ref=ref, n=n)
                                    for (kind, ref), n in rows.items()])


def _with_items(dataset_id: int):
    return [s for s in Study.objects.filter(dataset_id=dataset_id).select_related("dataset").order_by("pk")
            if s.items.exists()]


def mismatches(dataset_id: int) -> dict[tuple[int, int, int], tuple[int, int]]:
    """{(study id, kind, ref): (stored, counted)} for every progress count of the dataset's studies that is off."""
    out = {}
    for study in _with_items(dataset_id):
        kept, count = stored(study), counted(study)
        for key in sorted(set(kept) | set(count)):
            if kept.get(key, 0) != count.get(key, 0):
                out[(study.pk, *key)] = (kept.get(key, 0), count.get(key, 0))
    return out


def rebuild_dataset(dataset_id: int) -> None:
    for study in _with_items(dataset_id):
        rebuild(study)


def _who(study_id: int, unit: str) -> set[int]:
    """The people who labeled the unit (a pair: either order)."""
    examples = list(StudyItem.objects.filter(study_id=study_id, unit=unit).values_list("example_id", flat=True))
    # two index reads of a few rows each; as one query PostgreSQL may join over every label on the dataset
    return set(_labels().filter(example_id__in=examples).values_list("annotator_id", flat=True))


def before(example_ids: list[int]) -> list[tuple[int, str, set[int]]]:
    """Each study unit holding one of `example_ids` and who labeled it, before the change (an index probe)."""
    units = set(StudyItem.objects.filter(example_id__in=example_ids).values_list("study_id", "unit"))
    return [(study_id, unit, _who(study_id, unit)) for study_id, unit in sorted(units)]


def _add(study_id: int, kind: int, ref: int, n: int) -> None:
    """One upsert (two writers meeting on a new cell add up instead of colliding)."""
    if not n:
        return
    table = connection.ops.quote_name(StudyTally._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} (study_id, kind, ref, n) VALUES (%s, %s, %s, %s) "
                    f"ON CONFLICT (study_id, kind, ref) DO UPDATE SET n = {table}.n + EXCLUDED.n",
                    [study_id, int(kind), ref, n])


def after(states: list[tuple[int, str, set[int]]]) -> None:
    """Add the change's difference (who labeled each unit now against before)."""
    for study_id, unit, old in states:
        new = _who(study_id, unit)
        if new == old:
            continue
        _add(study_id, Kind.PEOPLE, len(old), -1)
        _add(study_id, Kind.PEOPLE, len(new), 1)
        for person in new - old:
            _add(study_id, Kind.ANNOTATOR, person, 1)
        for person in old - new:
            _add(study_id, Kind.ANNOTATOR, person, -1)


def progress(study: Study) -> dict:
    """{"units": n, "people": {user id: units labeled}, "histogram": {distinct people: units}} from the tallies."""
    hist: dict[int, int] = {}
    people: dict[int, int] = {}
    for kind, ref, n in StudyTally.objects.filter(study=study).values_list("kind", "ref", "n"):
        if kind == Kind.PEOPLE:
            hist[ref] = n
        elif n:
            people[ref] = n
    return {"units": sum(hist.values()), "people": people, "histogram": hist}
