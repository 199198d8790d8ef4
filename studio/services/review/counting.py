"""The dashboard's counts. For the stored sources (runs, people, crowd, annotators) they are read from the
split's tallies (count_from_tallies), kept exact on write. For an evaluation's prediction sets, which cover
only its test examples, one pass over those examples (count_everything) counts, for every source, its
coverage and confusion against gold, and for every pair of sources their 2x2 agreement table —
conditional aggregates (COUNT / SUM over label codes that are NULL where a source is silent) in a single
SQL statement, however many examples there are.

The statement is composed from ORM-built parts: the examples with one column per one-label-per-example
source (runs, annotators, gold; LEFT JOINs through FilteredRelation), and the human votes pre-aggregated
per example (one GROUP BY over the votes). Joining the votes as a derived table, rather than grouping the
whole join, keeps the work at one row per example: about twice as fast at 100,000 examples with five
votes each. Every column is normalised to 1 / 0 / NULL so the SQL reads the same on PostgreSQL and SQLite.
"""
from __future__ import annotations

from itertools import combinations

from django.db import connection, transaction
from django.db.models import Count, F, Q

from studio.models import Dataset, Example, HumanLabel
from studio.services import tallies
from studio.services.tallies import Kind

from .majority import eligible_annotators
from .sources import Source, annotate_source, split_examples

VOTE_KINDS = {"people": HumanLabel.Source.ANNOTATOR, "crowd": HumanLabel.Source.CROWD}


def _code(col: str) -> str:
    return f"CASE WHEN {col} THEN 1 WHEN NOT {col} THEN 0 END"


def _votes_sql(dataset: Dataset, split: str, example_ids: list[int] | None = None,
               annotator_ids: list[int] | None = None) -> tuple[str, list]:
    """example_id, pt, pf, ct, cf: True/False votes of studio annotators (p) and imported crowd (c). An
    annotator's label on an example's twin counts as the negated vote on it (tallies/twins.py), as in the
    kept-on-write vote columns. `annotator_ids`: count only these annotators' votes (crowd votes all)."""
    people = Q(source=HumanLabel.Source.ANNOTATOR)
    if annotator_ids is not None:
        people &= Q(annotator_id__in=annotator_ids)
    qs = HumanLabel.objects.filter(example__dataset=dataset, example__split=split)
    if example_ids is not None:
        qs = qs.filter(example_id__in=example_ids)
    qs = (qs.order_by()
          .values("example_id")
          .annotate(pt=Count("pk", filter=people & Q(label=True)),
                    pf=Count("pk", filter=people & Q(label=False)),
                    ct=Count("pk", filter=Q(source=HumanLabel.Source.CROWD, label=True)),
                    cf=Count("pk", filter=Q(source=HumanLabel.Source.CROWD, label=False))))
    sql, params = qs.query.sql_with_params()
    twins = tallies.twins_sql(dataset, "%s")
    if twins is None:
        return sql, list(params)
    implied, implied_params = (HumanLabel.objects.filter(people, example__dataset=dataset).order_by()
                               .values("example_id", "annotator_id", "label").query.sql_with_params())
    H = connection.ops.quote_name(HumanLabel._meta.db_table)
    E = connection.ops.quote_name(Example._meta.db_table)
    only = ""
    if example_ids is not None:
        only = f" AND t.ex IN ({', '.join(['%s'] * len(example_ids))})" if example_ids else " AND 1 = 0"
    sql = (f"SELECT u.example_id AS example_id, SUM(u.pt) AS pt, SUM(u.pf) AS pf, SUM(u.ct) AS ct, SUM(u.cf) AS cf "
           f"FROM (SELECT * FROM ({sql}) own UNION ALL "
           f"SELECT t.ex, SUM(CASE WHEN i.label THEN 0 ELSE 1 END), SUM(CASE WHEN i.label THEN 1 ELSE 0 END), 0, 0 "
           f"FROM ({implied}) i JOIN ({twins}) t ON t.twin = i.example_id JOIN {E} e ON e.id = t.ex "
           f"WHERE e.split = %s{only} AND NOT EXISTS (SELECT 1 FROM {H} h2 WHERE h2.example_id = t.ex "
           f"AND h2.annotator_id = i.annotator_id) GROUP BY t.ex) u GROUP BY u.example_id")
    return sql, [*params, *implied_params, dataset.pk, split, *(example_ids or [])]


def _not_mirror(dataset: Dataset, column: str) -> tuple[str, list]:
    """A condition leaving out the twin with the larger id (the vote histogram counts a pair once)."""
    twins = tallies.twins_sql(dataset, "%s")
    if twins is None:
        return "1 = 1", []
    both = tallies.twins.both_orders_sql(column, "t.twin")
    return (f"NOT EXISTS (SELECT 1 FROM ({twins}) t WHERE t.ex = {column} AND t.twin < {column} AND NOT {both})",
            [dataset.pk])


def _sum(cond: str) -> str:
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"


@transaction.atomic
def count_everything(dataset: Dataset, split: str, sources: list[Source], pair_sources: list[Source],
                     *, example_ids: list[int] | None = None, people_annotators: list[int] | None = None) -> dict:
    """Returns {"n_examples", "n_gold", "per_source": {key: cells}, "pairs": {(key_a, key_b): cells}}.

    per-source cells: labeled, tp, fp, fn, tn (confusion against gold over examples that have both), and
    for vote-based sources `ties` (equal True/False votes) and `voted` (at least one vote).
    pair cells: tt, tf, ft, ff over examples both sources labeled. `example_ids` restricts the pass
    (the evaluation's test examples, for its prediction sets); `people_annotators`, the annotators whose votes
    the people's majority counts (default: all)."""
    one_per_example = [s for s in sources if s.kind not in VOTE_KINDS]
    qs = split_examples(dataset, split).annotate(gold_label=F("gold__label"))
    if example_ids is not None:
        qs = qs.filter(pk__in=example_ids)
    cols = {}
    for i, s in enumerate(one_per_example):
        qs = annotate_source(qs, s, f"s{i}")
        cols[s.key] = f"s{i}"
    base_sql, base_params = qs.values("id", "gold_label", *cols.values()).query.sql_with_params()
    votes_sql, votes_params = _votes_sql(dataset, split, example_ids, people_annotators)

    # y: one row per example, every source as 1 / 0 / NULL
    select = ["x.id AS id", f"{_code('x.gold_label')} AS g"]
    select += [f"{_code('x.' + c)} AS {c}" for c in cols.values()]
    for s in sources:
        if s.kind in VOTE_KINDS:
            t, f = ("v.pt", "v.pf") if s.kind == "people" else ("v.ct", "v.cf")
            col = f"v_{s.kind}"
            cols[s.key] = col
            select += [f"CASE WHEN {t} > {f} THEN 1 WHEN {f} > {t} THEN 0 END AS {col}",
                       f"COALESCE({t}, 0) AS {col}_t", f"COALESCE({f}, 0) AS {col}_f"]
    inner = (f"SELECT {', '.join(select)} FROM ({base_sql}) x "
             f"LEFT JOIN ({votes_sql}) v ON v.example_id = x.id")
    if connection.vendor == "postgresql":
        inner += " OFFSET 0"  # keeps PostgreSQL from inlining each code's CASE into every aggregate using it

    # With labels coded 1 / 0 / NULL, a 2x2 table needs four sums, each NULL wherever either side is
    # missing: n = COUNT(a + b), tt = SUM(a * b), a_true = SUM(a + 0 * b), b_true = SUM(b + 0 * a).
    # Arithmetic on codes is several times cheaper per row than CASE expressions.
    aggs = [("n_examples", "COUNT(*)"), ("n_gold", "COUNT(y.g)")]

    def table(name: str, a: str, b: str) -> None:
        aggs.extend([(f"{name}|n", f"COUNT(y.{a} + y.{b})"), (f"{name}|tt", f"SUM(y.{a} * y.{b})"),
                     (f"{name}|a1", f"SUM(y.{a} + 0 * y.{b})"), (f"{name}|b1", f"SUM(y.{b} + 0 * y.{a})")])

    for s in sources:
        c = cols[s.key]
        aggs.append((f"{s.key}|labeled", f"COUNT(y.{c})"))
        table(s.key, c, "g")
        if s.kind in VOTE_KINDS:
            aggs.append((f"{s.key}|ties", _sum(f"y.{c}_t = y.{c}_f AND y.{c}_t > 0")))
            aggs.append((f"{s.key}|voted", _sum(f"y.{c}_t + y.{c}_f > 0")))
    for sa, sb in combinations(pair_sources, 2):
        table(f"{sa.key}|{sb.key}", cols[sa.key], cols[sb.key])
    sql = f"SELECT {', '.join(expr for _, expr in aggs)} FROM ({inner}) y"

    with connection.cursor() as cur:
        _analytics_session(cur)
        if example_ids is not None and connection.vendor == "postgresql":
            # A few hundred examples: each source's label is one index probe per example. Left to itself the
            # planner hashes every source's whole label set instead (measured: 0.2 s at 100,000 examples,
            # growing with the split, for the evaluation's 500 test examples).
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
        cur.execute(sql, [*base_params, *votes_params])
        values = [int(v or 0) for v in cur.fetchone()]
    row = dict(zip((name for name, _ in aggs), values))

    def cells(name: str) -> dict:
        n, tt, a1, b1 = (row[f"{name}|{k}"] for k in ("n", "tt", "a1", "b1"))
        return {"tt": tt, "tf": a1 - tt, "ft": b1 - tt, "ff": n - a1 - b1 + tt}

    per_source = {}
    for s in sources:
        c = cells(s.key)  # source against gold
        per_source[s.key] = {"labeled": row[f"{s.key}|labeled"], "tp": c["tt"], "fp": c["tf"], "fn": c["ft"], "tn": c["ff"]}
        if s.kind in VOTE_KINDS:
            per_source[s.key].update(ties=row[f"{s.key}|ties"], voted=row[f"{s.key}|voted"])
    pairs = {(sa.key, sb.key): cells(f"{sa.key}|{sb.key}") for sa, sb in combinations(pair_sources, 2)}
    return {"n_examples": row["n_examples"], "n_gold": row["n_gold"], "per_source": per_source, "pairs": pairs}


def _analytics_session(cur) -> None:
    """Planner settings for these statements, for this transaction only (PostgreSQL). Measured at 100,000
    examples: the JIT compiler spent ~0.9 s compiling the many-expression aggregate; parallel workers
    each rebuilt the derived vote table (3x the work on a 2-core machine); and a join search over a dozen
    LEFT JOINs whose order is fixed anyway spent a second planning the evaluation's small pass."""
    if connection.vendor == "postgresql":
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute("SET LOCAL join_collapse_limit = 1")


def source_ref(source: Source) -> tuple[int, int]:
    """The tallies' (kind, ref) of a stored source."""
    if source.kind == "run":
        return (Kind.RUN, source.run_id)
    if source.kind == "annotator":
        return (Kind.ANNOTATOR, source.annotator_id)
    return {"people": (Kind.PEOPLE, 0), "crowd": (Kind.CROWD, 0)}[source.kind]


HIST_KINDS = {"people": Kind.VOTES_PEOPLE, "crowd": Kind.VOTES_CROWD}


def count_from_tallies(cells, sources: list[Source], pair_sources: list[Source], *,
                       people_filter: int | None = None) -> dict:
    """count_everything's result for stored sources (runs, people, crowd, annotators), read from the split's
    tallies (tallies.split_cells), which are kept exact on write: no pass over examples or votes.
    `people_filter`: the people's majority counts only annotators with at least this many labels in the split,
    read from its kept cells (Kind.QUALIFIED with that ref, kept for REVIEW_MIN_ANNOTATOR_LABELS)."""
    gold = (Kind.GOLD, 0)

    def ref_of(s: Source) -> tuple[int, int]:
        return (Kind.QUALIFIED, people_filter) if people_filter and s.kind == "people" else source_ref(s)

    per_source = {}
    for s in sources:
        ref = ref_of(s)
        c = cells.pair(ref, gold)
        per_source[s.key] = {"labeled": cells.n(ref), "tp": c["tt"], "fp": c["tf"], "fn": c["ft"], "tn": c["ff"]}
        if s.kind in VOTE_KINDS:
            kind = Kind.VOTES_QUALIFIED if people_filter and s.kind == "people" else HIST_KINDS[s.kind]
            hist = cells.histogram(kind, every_example=True)
            per_source[s.key].update(ties=sum(n for f, t, n in hist if f == t),
                                     voted=sum(n for _, _, n in hist))
    pairs = {(sa.key, sb.key): cells.pair(ref_of(sa), ref_of(sb)) for sa, sb in combinations(pair_sources, 2)}
    return {"n_examples": cells.examples(), "n_gold": cells.n(gold), "per_source": per_source, "pairs": pairs}


def count_stored(dataset: Dataset, split: str, cells, sources: list[Source], pair_sources: list[Source], *,
                 min_labels: int | None = None) -> dict:
    """count_from_tallies, with the people's majority counting only annotators with at least `min_labels` labels
    in the split (the dashboard's filter). For REVIEW_MIN_ANNOTATOR_LABELS (the default) the filtered cells are
    kept on write too; another minimum that leaves someone out counts the people's cells in one pass over the
    split (count_everything); a filter that leaves nobody means no people's votes."""
    annotators = eligible_annotators(dataset, split, min_labels)
    if annotators is None or not any(s.kind == "people" for s in sources):
        return {**count_from_tallies(cells, sources, pair_sources), "people_ref": (Kind.PEOPLE, 0)}
    if min_labels == tallies.qualifying_minimum():
        return {**count_from_tallies(cells, sources, pair_sources, people_filter=min_labels),
                "people_ref": (Kind.QUALIFIED, min_labels)}
    counts = {**count_from_tallies(cells, sources, pair_sources), "people_ref": None}  # counted below
    if annotators:
        sub = count_everything(dataset, split, sources, pair_sources, people_annotators=annotators)
    else:  # nobody passes: the majority of no votes labels nothing
        empty = {"tt": 0, "tf": 0, "ft": 0, "ff": 0}
        sub = {"per_source": {"people": {"labeled": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0, "ties": 0, "voted": 0}},
               "pairs": {pair: dict(empty) for pair in counts["pairs"]}}
    counts["per_source"]["people"] = sub["per_source"]["people"]
    for pair in counts["pairs"]:
        if "people" in pair:
            counts["pairs"][pair] = sub["pairs"][pair]
    return counts


def histograms_from_tallies(cells) -> dict[str, list[tuple[int, int, int]]]:
    """vote_histograms' result, read from the split's tallies."""
    return {HumanLabel.Source.ANNOTATOR: cells.histogram(Kind.VOTES_PEOPLE),
            HumanLabel.Source.CROWD: cells.histogram(Kind.VOTES_CROWD)}


@transaction.atomic
def vote_histograms(dataset: Dataset, split: str) -> dict[str, list[tuple[int, int, int]]]:
    """{"annotator": [(false_votes, true_votes, examples)], "crowd": [...]} over the split's examples with
    at least one vote of that kind (two twins count once among the annotators'). The per-example counts are grouped once more in SQL, so what comes
    back is a handful of rows however large the dataset."""
    votes_sql, params = _votes_sql(dataset, split)
    single, single_params = _not_mirror(dataset, "v.example_id")
    params = [*params, *single_params]
    sql = (f"WITH v AS ({votes_sql}) "
           f"SELECT 'annotator', v.pf, v.pt, COUNT(*) FROM v WHERE v.pt + v.pf > 0 AND {single} GROUP BY v.pf, v.pt "
           "UNION ALL SELECT 'crowd', v.cf, v.ct, COUNT(*) FROM v WHERE v.ct + v.cf > 0 GROUP BY v.cf, v.ct")
    out: dict[str, list] = {HumanLabel.Source.ANNOTATOR: [], HumanLabel.Source.CROWD: []}
    with connection.cursor() as cur:
        _analytics_session(cur)
        cur.execute(sql, params)
        for kind, f, t, n in cur.fetchall():
            out[kind].append((int(f), int(t), int(n)))
    for rows in out.values():
        rows.sort()
    return out
