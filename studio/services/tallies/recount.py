"""Counting every aggregate from scratch, in SQL, for the `recount_tallies` command (report differences),
for bulk events (an import, a finished run, a deleted account: `rebuild`) and for the tests. It counts the
same cells as cells.example_cells, for every example of a dataset at once:

- `src`: one row per (example, source, label): gold, each completed run covering the example's split, each
  annotator, and the people's and the crowd's majorities (strict; ties count for neither side);
- each example's sources become one signature ("kind:ref:label,..."); grouping examples by signature
  leaves a few hundred rows, which expand into source and pair cells; crowd-voter cells group the crowd
  votes; vote histograms group every example by its (False, True) votes, 0 / 0 included; on comparison
  datasets, unit votes pair up every two annotators' votes on each unit (implied votes included).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction

from studio.models import Dataset, ElicitationRun, ElicitedLabel, Example, GoldLabel, HumanLabel, Tally

from . import study_counts
from .cells import CELL_FIELDS, Cell, Kind, Votes, qualifying_minimum
from .twins import both_orders_sql, twins_sql

REBUILD_BATCH = 5000


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sqls(dataset_id: int) -> dict[str, str]:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    E, H, G, R, L = _t(Example), _t(HumanLabel), _t(GoldLabel), _t(ElicitationRun), _t(ElicitedLabel)
    ann, crowd = HumanLabel.Source.ANNOTATOR.value, HumanLabel.Source.CROWD.value
    one = "CASE WHEN h.label THEN 1 ELSE 0 END"
    zero = "CASE WHEN h.label THEN 0 ELSE 1 END"
    minimum = qualifying_minimum()
    # annotators passing the people's filter in a split (cells.qualifying_minimum): (a, sp) rows
    qual = (f"SELECT h.annotator_id AS a, e.split AS sp FROM {H} h JOIN {E} e ON e.id = h.example_id "
            f"WHERE e.dataset_id = %(ds)s AND h.source = '{ann}' GROUP BY h.annotator_id, e.split "
            f"HAVING COUNT(*) >= {max(minimum, 1):d}")
    passes = "EXISTS (SELECT 1 FROM qual q WHERE q.a = h.annotator_id AND q.sp = {split})"
    own = (f"SELECT h.example_id AS ex, "
           f"CASE WHEN h.source = '{ann}' THEN {one} ELSE 0 END AS pt, "
           f"CASE WHEN h.source = '{ann}' THEN {zero} ELSE 0 END AS pf, "
           f"CASE WHEN h.source = '{crowd}' THEN {one} ELSE 0 END AS ct, "
           f"CASE WHEN h.source = '{crowd}' THEN {zero} ELSE 0 END AS cf, "
           f"CASE WHEN h.source = '{ann}' AND {passes.format(split='e.split')} THEN {one} ELSE 0 END AS qt, "
           f"CASE WHEN h.source = '{ann}' AND {passes.format(split='e.split')} THEN {zero} ELSE 0 END AS qf "
           f"FROM {H} h JOIN {E} e ON e.id = h.example_id WHERE e.dataset_id = %(ds)s")
    twins = twins_sql(dataset)
    if twins:  # an annotator's label on a twin is a negated vote on this example (twins.py)
        own += (f" UNION ALL SELECT t.ex, {zero}, {one}, 0, 0, "
                f"CASE WHEN {passes.format(split='te.split')} THEN {zero} ELSE 0 END, "
                f"CASE WHEN {passes.format(split='te.split')} THEN {one} ELSE 0 END "
                f"FROM {H} h JOIN ({twins}) t ON t.twin = h.example_id JOIN {E} te ON te.id = t.ex "
                f"WHERE h.source = '{ann}' AND NOT EXISTS (SELECT 1 FROM {H} h2 WHERE h2.example_id = t.ex "
                f"AND h2.annotator_id = h.annotator_id)")
    votes = (f"SELECT u.ex AS ex, SUM(u.pt) AS pt, SUM(u.pf) AS pf, SUM(u.ct) AS ct, SUM(u.cf) AS cf, "
             f"SUM(u.qt) AS qt, SUM(u.qf) AS qf FROM ({own}) u GROUP BY u.ex")
    votes_with = f"qual AS ({qual}), votes AS ({votes})"
    # of two twins, the larger id is the vote histogram's mirror (cells.example_cells)
    mirror = (f"CASE WHEN EXISTS (SELECT 1 FROM ({twins}) t WHERE t.ex = e.id AND t.twin < e.id "
              f"AND NOT {both_orders_sql('e.id', 't.twin')}) THEN 1 ELSE 0 END" if twins else "0")
    src = (f"SELECT e.id AS ex, e.split AS sp, {Kind.GOLD:d} AS k, 0 AS r, g.label AS lab "
           f"FROM {G} g JOIN {E} e ON e.id = g.example_id WHERE e.dataset_id = %(ds)s "
           f"UNION ALL SELECT e.id, e.split, {Kind.RUN:d}, l.run_id, l.label FROM {L} l "
           f"JOIN {R} r ON r.id = l.run_id JOIN {E} e ON e.id = l.example_id WHERE e.dataset_id = %(ds)s "
           f"AND r.state = '{ElicitationRun.State.COMPLETED.value}' AND (r.split = '' OR r.split = e.split) "
           f"AND l.label IS NOT NULL "
           f"UNION ALL SELECT e.id, e.split, {Kind.RUN_FILLED:d}, l.run_id, l.label FROM {L} l "
           f"JOIN {R} r ON r.id = l.run_id JOIN {E} e ON e.id = l.example_id WHERE e.dataset_id = %(ds)s "
           f"AND r.state = '{ElicitationRun.State.COMPLETED.value}' AND (r.split = '' OR r.split = e.split) "
           f"AND l.label IS NOT NULL AND l.kind = '{ElicitedLabel.Kind.FILLED.value}' "
           f"UNION ALL SELECT e.id, e.split, {Kind.ANNOTATOR:d}, h.annotator_id, h.label FROM {H} h "
           f"JOIN {E} e ON e.id = h.example_id WHERE e.dataset_id = %(ds)s AND h.source = '{ann}' "
           f"UNION ALL SELECT e.id, e.split, {Kind.PEOPLE:d}, 0, v.pt > v.pf FROM votes v JOIN {E} e ON e.id = v.ex "
           f"WHERE v.pt <> v.pf "
           f"UNION ALL SELECT e.id, e.split, {Kind.CROWD:d}, 0, v.ct > v.cf FROM votes v JOIN {E} e ON e.id = v.ex "
           f"WHERE v.ct <> v.cf")
    if minimum > 1:
        src += (f" UNION ALL SELECT e.id, e.split, {Kind.QUALIFIED:d}, {minimum:d}, v.qt > v.qf FROM votes v "
                f"JOIN {E} e ON e.id = v.ex WHERE v.qt <> v.qf")
    item = "s.k || ':' || s.r || ':' || CASE WHEN s.lab THEN '1' ELSE '0' END"
    if connection.vendor == "postgresql":
        signature = f"string_agg({item}, ',' ORDER BY s.k, s.r)"
    else:  # SQLite 3.40 has no ordered aggregates: the signature is parsed as a set anyway
        signature = f"group_concat({item}, ',')"
    out = {}
    if twins:  # UNIT_VOTE pair cells (cells.example_cells, `units`): each unit's votes, implied ones included
        uv = (f"SELECT h.example_id AS ex, h.annotator_id AS a, h.label AS lab FROM {H} h JOIN {E} e "
              f"ON e.id = h.example_id WHERE e.dataset_id = %(ds)s AND h.source = '{ann}' "
              f"UNION ALL SELECT t.ex, h.annotator_id, NOT h.label FROM {H} h JOIN tw t ON t.twin = h.example_id "
              f"WHERE h.source = '{ann}' AND NOT EXISTS (SELECT 1 FROM {H} h2 WHERE h2.example_id = t.ex "
              f"AND h2.annotator_id = h.annotator_id)")
        units = (f"SELECT uv.ex, e.split AS sp, uv.a, uv.lab FROM uv JOIN {E} e ON e.id = uv.ex "
                 f"WHERE NOT EXISTS (SELECT 1 FROM tw t WHERE t.ex = uv.ex AND t.twin < uv.ex "
                 f"AND NOT {both_orders_sql('uv.ex', 't.twin')})")
        out["units"] = (f"WITH tw AS ({twins}), uv AS ({uv}), units AS ({units}) "
                        f"SELECT x.sp, x.a, x.lab, y.a, y.lab, COUNT(*) FROM units x JOIN units y "
                        f"ON y.ex = x.ex AND y.a > x.a GROUP BY x.sp, x.a, x.lab, y.a, y.lab")
    return out | {
        # one row per distinct (split, every source's label on an example) and how many examples share it:
        # a few hundred rows, expanded into source and pair cells in Python (a self-join of the sources
        # on the example costs ~5x more at 1,000,000 examples)
        "signatures": (f"WITH {votes_with}, src AS ({src}) SELECT x.sp, x.sig, COUNT(*) FROM "
                       f"(SELECT s.ex, s.sp, {signature} AS sig FROM src s GROUP BY s.ex, s.sp) x "
                       f"GROUP BY x.sp, x.sig"),
        "voters": (f"SELECT e.split, {Kind.CROWD_VOTER:d}, h.crowd_voter, h.label, 0, 0, 0, COUNT(*) FROM {H} h "
                   f"JOIN {E} e ON e.id = h.example_id WHERE e.dataset_id = %(ds)s AND h.source = '{crowd}' "
                   f"GROUP BY e.split, h.crowd_voter, h.label"),
        "histograms": (f"WITH {votes_with} SELECT x.split, x.pf, x.pt, x.cf, x.ct, x.mirror, x.qf, x.qt, COUNT(*) "
                       f"FROM (SELECT e.split AS split, COALESCE(v.pf, 0) AS pf, COALESCE(v.pt, 0) AS pt, "
                       f"COALESCE(v.cf, 0) AS cf, COALESCE(v.ct, 0) AS ct, {mirror} AS mirror, "
                       f"COALESCE(v.qf, 0) AS qf, COALESCE(v.qt, 0) AS qt "
                       f"FROM {E} e LEFT JOIN votes v ON v.ex = e.id WHERE e.dataset_id = %(ds)s) x "
                       f"GROUP BY x.split, x.pf, x.pt, x.cf, x.ct, x.mirror, x.qf, x.qt"),
        "votes": (f"WITH {votes_with} SELECT e.id, e.people_true, e.people_false, e.crowd_true, e.crowd_false, "
                  f"COALESCE(v.pt, 0), COALESCE(v.pf, 0), COALESCE(v.ct, 0), COALESCE(v.cf, 0) "
                  f"FROM {E} e LEFT JOIN votes v ON v.ex = e.id WHERE e.dataset_id = %(ds)s "
                  f"AND (e.people_true <> COALESCE(v.pt, 0) OR e.people_false <> COALESCE(v.pf, 0) "
                  f"OR e.crowd_true <> COALESCE(v.ct, 0) OR e.crowd_false <> COALESCE(v.cf, 0))"),
    }


def _session(cur) -> None:
    if connection.vendor == "postgresql":  # one big pass: no JIT, room to hash in memory
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")


def recount_cells(dataset_id: int) -> Counter:
    """Every nonzero cell of the dataset, counted from its labels (call inside a transaction)."""
    sqls = _sqls(dataset_id)
    out: Counter = Counter()
    with connection.cursor() as cur:
        _session(cur)
        cur.execute(sqls["signatures"], {"ds": dataset_id})
        for sp, sig, n in cur.fetchall():
            sources = sorted((int(k), int(r), lab == "1") for k, r, lab in (item.split(":") for item in sig.split(",")))
            for i, (ak, ar, al) in enumerate(sources):
                out[Cell(sp, ak, ar, al)] += int(n)
                for bk, br, bl in sources[i + 1:]:
                    out[Cell(sp, ak, ar, al, bk, br, bl)] += int(n)
        cur.execute(sqls["voters"], {"ds": dataset_id})
        for sp, ak, ar, al, bk, br, bl, n in cur.fetchall():
            out[Cell(sp, int(ak), int(ar), bool(al), int(bk), int(br), bool(bl))] += int(n)
        if "units" in sqls:
            cur.execute(sqls["units"], {"ds": dataset_id})
            for sp, a, la, b, lb, n in cur.fetchall():
                out[Cell(sp, Kind.UNIT_VOTE, int(a), bool(la), Kind.UNIT_VOTE, int(b), bool(lb))] += int(n)
        cur.execute(sqls["histograms"], {"ds": dataset_id})
        minimum = qualifying_minimum()
        for sp, pf, pt, cf, ct, mirror, qf, qt, n in cur.fetchall():
            out[Cell(sp, Kind.VOTES_PEOPLE, int(pf), bool(mirror), Kind.NONE, int(pt))] += int(n)
            out[Cell(sp, Kind.VOTES_CROWD, int(cf), False, Kind.NONE, int(ct))] += int(n)
            if minimum > 1:
                out[Cell(sp, Kind.VOTES_QUALIFIED, int(qf), bool(mirror), Kind.NONE, int(qt))] += int(n)
    return out


def stored_cells(dataset_id: int) -> Counter:
    rows = Tally.objects.filter(dataset_id=dataset_id).exclude(n=0).values_list(*CELL_FIELDS, "n")
    return Counter({Cell(*row[:-1]): row[-1] for row in rows})


def vote_mismatches(dataset_id: int) -> dict[int, tuple[Votes, Votes]]:
    """{example id: (stored votes, counted votes)} for every example whose vote columns are off."""
    with connection.cursor() as cur:
        _session(cur)
        cur.execute(_sqls(dataset_id)["votes"], {"ds": dataset_id})
        return {row[0]: (Votes(*map(int, row[1:5])), Votes(*map(int, row[5:9]))) for row in cur.fetchall()}


@dataclass
class Difference:
    dataset: str
    cells: dict  # Cell -> (stored, counted)
    votes: dict  # example id -> (stored Votes, counted Votes)
    studies: dict = field(default_factory=dict)  # (study id, kind, ref) -> (stored, counted)

    def __bool__(self) -> bool:
        return bool(self.cells or self.votes or self.studies)

    def lines(self, limit: int = 20) -> list[str]:
        out = [f"{self.dataset}: {len(self.cells)} tally cell(s), {len(self.votes)} example vote count(s) and "
               f"{len(self.studies)} study progress count(s) differ"]
        for cell, (stored, counted) in list(self.cells.items())[:limit]:
            out.append(f"  {tuple(cell)}: stored {stored}, counted {counted}")
        for pk, (stored, counted) in list(self.votes.items())[:limit]:
            out.append(f"  example {pk}: stored {tuple(stored)}, counted {tuple(counted)}")
        for (study, kind, ref), (stored, counted) in list(self.studies.items())[:limit]:
            what = f"units user {ref} labeled" if kind == study_counts.Kind.ANNOTATOR else f"units {ref} people labeled"
            out.append(f"  study {study} ({what}): stored {stored}, counted {counted}")
        return out


def _exclusive_lock(dataset_id: int) -> None:
    """Wait for every writer holding the dataset (keeping.share_lock) and keep new ones out until commit."""
    Dataset.objects.select_for_update().filter(pk=dataset_id).values_list("pk").first()


@transaction.atomic
def check(dataset: Dataset) -> Difference:
    """Stored aggregates against a count from scratch; an empty Difference when they agree exactly."""
    _exclusive_lock(dataset.pk)
    stored, counted = stored_cells(dataset.pk), recount_cells(dataset.pk)
    cells = {c: (stored.get(c, 0), counted.get(c, 0)) for c in sorted(set(stored) | set(counted))
             if stored.get(c, 0) != counted.get(c, 0)}
    return Difference(dataset.slug, cells, vote_mismatches(dataset.pk), study_counts.mismatches(dataset.pk))


@transaction.atomic
def rebuild(dataset: Dataset | int) -> int:
    """Replace the dataset's aggregates with a count from scratch; returns the number of cells stored."""
    dataset_id = dataset if isinstance(dataset, int) else dataset.pk
    _exclusive_lock(dataset_id)
    counted = recount_cells(dataset_id)
    Tally.objects.filter(dataset_id=dataset_id).delete()
    rows = [Tally(dataset_id=dataset_id, n=n, **cell._asdict()) for cell, n in counted.items()]
    Tally.objects.bulk_create(rows, batch_size=REBUILD_BATCH)
    fixes = list(vote_mismatches(dataset_id).items())
    for start in range(0, len(fixes), REBUILD_BATCH):
        _set_votes(fixes[start:start + REBUILD_BATCH])
    study_counts.rebuild_dataset(dataset_id)
    return len(rows)


def _set_votes(fixes: list) -> None:
    """One UPDATE per batch: the counted votes for each listed example."""
    if not fixes:
        return
    E = _t(Example)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(fixes))
    params = [v for pk, (_, counted) in fixes for v in (pk, *counted)]
    if connection.vendor == "postgresql":
        sql = (f"UPDATE {E} SET people_true = v.pt, people_false = v.pf, crowd_true = v.ct, crowd_false = v.cf "
               f"FROM (VALUES {values}) AS v(id, pt, pf, ct, cf) WHERE {E}.id = v.id")
    else:
        sql = (f"WITH v(id, pt, pf, ct, cf) AS (VALUES {values}) "
               f"UPDATE {E} SET people_true = v.pt, people_false = v.pf, crowd_true = v.ct, crowd_false = v.cf "
               f"FROM v WHERE {E}.id = v.id")
    with connection.cursor() as cur:
        cur.execute(sql, params)
