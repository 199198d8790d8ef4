"""The paper's superhuman gender study (Wen et al. 2025 §4.3), at a size this 2-core CPU runs with the bundled
SmolLM2-135M, through the studio's own services from the preset import to the figure:

1. import the `blog-gender` preset (5,000 posts = 2,500 pairs, both orders each), its prompts cut at
   --max-chars characters per post (default 300 here, not the preset's 600: a CPU pays for every prompt token,
   and 300 keeps ICM's and the many-shot prompts short; annotators still see whole posts);
2. create a study from the `blog-gender` template (create_study): --icm-pairs train pairs for ICM, --people-pairs
   of them for people (the "people's labels" demonstrations), --test-pairs test pairs, --annotators people
   (real Django users with the annotator role on the dataset) each labeling every item (k = --annotators);
3. open labeling (open_labeling) and let SIMULATED annotators label through the real annotation queue
   (studio.services.annotation: next_example, submit_label), taking turns, one item each, until the queue has
   nothing left for any of them. No people are at hand, so this script plays them: each simulated annotator
   asks the queue for its next item (the queue picks which order of a pair it sees) and answers that example's
   gold label with probability --human-accuracy (default 0.6, the paper's ~60% human accuracy on test), the
   opposite label otherwise, independently per item, from its own random.Random(seed * 1000 + its index).
   Gold is read ONLY by this simulation (and to report ICM's agreement with gold); the queue, the engine, the
   ICM run and the evaluation never receive it except the evaluation's own "gold labels" condition and scoring;
4. start ICM over the study's train pool (start_icm) and execute its batches in this process (execute_batch, the
   worker's code path without Celery), with --iterations and the run settings given (--scoring, --max-demos);
5. the evaluation (start_study_evaluation with enqueue=False, then execute_evaluation in this process): zero-shot,
   zero-shot chat, many-shot with the people's / ICM's / gold labels on the study's test pairs, --repeats repeats;
6. the results (study_results): each annotator's accuracy (Wilson 95% interval, n), the people's majority, every
   condition with its 95% interval and n, the verdict; the figure SVG (render_svg), results.csv, results.json,
   and figure.png (Debian Chromium via Playwright, a screenshot of the same SVG) in --out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icm_studio HF_HUB_OFFLINE=1 ICM_TORCH_THREADS=1 \\
        .venv/bin/python benchmarks/gender_study.py --icm-pairs 32 --people-pairs 8 --test-pairs 20 \\
        --annotators 3 --max-chars 300 --iterations 40 --max-demos 8 --repeats 3 [--out test-artifacts/gender-study/]

Measured here (2 cores, another process on one of them throughout): 45 minutes, of it ICM 36 min (40 iterations,
426,598 model tokens, about 200 tokens/s on one torch thread) and the evaluation 9 min (84,847 tokens). Why:
- --max-demos 8: 64 examples score by folds on a CPU (the studio's default above 32), and a fold's context of
  48 demonstrations needs 8,428 tokens even at 300 characters per post, over SmolLM2's 8,192 (ContextTooLong);
  a seeded subset of 8 demonstrations per fold context fits and keeps each label change cheap.
- --iterations 40: an ICM iteration over this pool costs 6,000 model tokens early (86,246 for the first 14) and
  more as labels accumulate (10,700 on average over 40), so 40 iterations are about half an hour.
  Too few for ICM to visit every pair: the rest of the pool is filled (ElicitedLabel kind "filled"), and the evaluation's ICM demonstrations are its elicited labels only, on the people's train items.
- ICM_TORCH_THREADS=1: with another process on one of the two cores, two torch threads ran about 4x slower per
  iteration than one (oversubscription).

Creates and drops its own database (name + _gender_study); uses Redis database 13 (BENCH_REDIS_URL overrides; the
run's queued tasks, never consumed: the batches run here) and flushes it before and after. Prints wall times for
every step. Needs `make install`; figure.png also needs playwright (the `.[test]` extra) and /usr/bin/chromium,
and is skipped with a note without them. The last line:
    gender_study n_test=N annotators=K people_majority_accuracy=P zero_shot_accuracy=Z ... gold_accuracy=G total_s=T
(one <condition>_accuracy per row of the figure that has an accuracy; a row with none is left out).
--smoke (or BENCH_SMOKE=1): 2 ICM pairs, 1 people pair, 2 test pairs, 1 annotator, posts cut at 60 characters,
1 iteration, 2 demonstrations, 1 repeat, into test-artifacts/gender-study-smoke/; the whole preset is still
imported (a few seconds).
"""
import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchmarks._support import smoke  # noqa: E402

TIMES: list[tuple[str, float]] = []


class step:
    """Times one step and prints its wall time."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        print(f"\n== {self.name}", flush=True)
        self.began, self.cpu = time.monotonic(), time.process_time()
        return self

    def __exit__(self, *exc):
        seconds, cpu = time.monotonic() - self.began, time.process_time() - self.cpu
        TIMES.append((self.name, seconds))
        print(f"   [{self.name}: {seconds:.1f} s wall, {cpu:.1f} s CPU of this process]", flush=True)
        return False


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--icm-pairs", type=int, default=32, help="train pairs ICM labels (the pool)")
    ap.add_argument("--people-pairs", type=int, default=8, help="of the pool's pairs, how many people label")
    ap.add_argument("--test-pairs", type=int, default=20)
    ap.add_argument("--annotators", type=int, default=3, help="simulated people; each labels every item (k)")
    ap.add_argument("--human-accuracy", type=float, default=0.6,
                    help="probability a simulated annotator answers the gold label, per item")
    ap.add_argument("--max-chars", type=int, default=300, help="the dataset's max_chars: each post's cut in prompts")
    ap.add_argument("--iterations", type=int, default=40, help="ICM iterations")
    ap.add_argument("--scoring", default=None, help="ICM scoring mode (default: the studio's choice)")
    ap.add_argument("--max-demos", type=int, default=8,
                    help="ICM: at most this many demonstrations per fold context (0: no limit)")
    ap.add_argument("--repeats", type=int, default=3, help="evaluation repeats")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="test-artifacts/gender-study/")
    ap.add_argument("--keep-db", action="store_true", help="leave the database behind (for inspection)")
    smoke.add_flag(ap)
    args = ap.parse_args()
    smoke.apply(ap, args, icm_pairs=2, people_pairs=1, test_pairs=2, annotators=1, max_chars=60, iterations=1,
                max_demos=2, repeats=1, out="test-artifacts/gender-study-smoke/")
    if not 0.0 <= args.human_accuracy <= 1.0:
        raise SystemExit("--human-accuracy must be between 0 and 1")
    if connection.vendor != "postgresql":
        raise SystemExit("needs DATABASE_URL=postgres://... (the real stack)")

    from django.conf import settings
    from django.core.management import call_command

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = settings.DATABASES["default"]["NAME"]
    name = f"{base}_gender_study"
    with connection._nodb_cursor() as c:  # the server's maintenance database: the base one need not exist
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    flush_redis()
    began = time.monotonic()
    try:
        with step("migrate a fresh database"):
            call_command("migrate", verbosity=0)
        report = study(args, out)
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = base
        if not args.keep_db:
            with connection._nodb_cursor() as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        flush_redis()
    total = time.monotonic() - began
    print("\n== wall times")
    for what, seconds in TIMES:
        print(f"   {what:<55} {seconds:8.1f} s  ({seconds / 60:.1f} min)")
    print(f"   {'total':<55} {total:8.1f} s  ({total / 60:.1f} min)")
    report["wall_seconds"] = {**{w: round(s, 1) for w, s in TIMES}, "total": round(total, 1)}
    (out / "results.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"\nartifacts: {', '.join(str(out / f) for f in sorted(os.listdir(out)))}")
    data = report["results"]
    accuracies = " ".join(  # trained rows (issue 22) after the in-context ones, each key once
        f"{'trained_' if row.get('measure') == 'trained' else ''}{(row.get('kind') or row['key']).replace('-', '_')}"
        f"_accuracy={row['accuracy']:.3f}" for row in data["rows"]
        if row["group"] != "annotator" and row["accuracy"] is not None)
    print(f"gender_study n_test={data['n_test']} annotators={args.annotators} {accuracies} total_s={total:.0f}")


def simulate_people(dataset, annotators, accuracy: float, seed: int) -> dict:
    """Each simulated annotator asks the real queue for its next item and answers gold with probability
    `accuracy` (else the opposite), independently per item; they take turns, one item each."""
    from studio.models import Example, GoldLabel
    from studio.services import annotation

    rngs = [random.Random(seed * 1000 + i) for i in range(len(annotators))]
    stats = {u.username: {"labels": 0, "answered_gold": 0, "pairs": set(), "both_orders": 0} for u in annotators}
    active = list(range(len(annotators)))
    while active:
        for i in list(active):
            user = annotators[i]
            ex = annotation.next_example(user, dataset)
            if ex is None:
                active.remove(i)
                continue
            gold = GoldLabel.objects.get(example=ex).label   # read by this simulation only
            honest = rngs[i].random() < accuracy
            annotation.submit_label(user, ex, gold if honest else not gold, seconds=20.0)
            s = stats[user.username]
            s["labels"] += 1
            s["answered_gold"] += honest
            group = Example.objects.filter(pk=ex.pk).values_list("group", flat=True).get()
            s["both_orders"] += group in s["pairs"]
            s["pairs"].add(group)
    return {u: {**s, "pairs": len(s["pairs"])} for u, s in stats.items()}


def study(args, out: Path) -> dict:
    from django.contrib.auth import get_user_model

    from studio.models import ElicitationRun, ElicitedLabel, GoldLabel, Membership
    from studio.services import engine_port, studies
    from studio.services.evaluation import execute_evaluation
    from studio.services.importing import import_preset
    from studio.services.runs.execution import execute_batch
    from studio.services.studies.item_sets import describe_items

    User = get_user_model()
    report: dict = {"args": vars(args)}

    with step("import the blog-gender preset"):
        ds = import_preset("blog-gender", max_chars=args.max_chars)
        counts = ds.import_counts
        lengths = sorted(len(p) for p in ds.examples.values_list("prompt", flat=True))
        print(f"   {ds.name}: {counts.summary()}; max_chars {ds.max_chars} per post; prompt length median "
              f"{lengths[len(lengths) // 2]} chars, max {lengths[-1]}")

    with step("people and the study (create_study from the blog-gender template)"):
        admin = User.objects.create_superuser("study-admin", "admin@example.org", "x-" + os.urandom(8).hex())
        people = []
        for i in range(args.annotators):
            u = User.objects.create_user(f"sim-annotator-{i + 1}", password="x-" + os.urandom(8).hex())
            Membership.objects.create(user=u, dataset=ds, role=Membership.Role.ANNOTATOR)
            people.append(u)
        run_settings = {"iterations": args.iterations, "seed": args.seed}
        if args.scoring:
            run_settings["scoring"] = args.scoring
        if args.max_demos:
            run_settings["max_demos"] = args.max_demos
        st = studies.create_study(ds, "blog-gender", {
            "name": f"Gender study ({args.icm_pairs} ICM pairs, {args.test_pairs} test pairs, "
                    f"{args.annotators} simulated annotators)",
            "icm_pool_size": 2 * args.icm_pairs, "people_train_size": 2 * args.people_pairs,
            "test_size": 2 * args.test_pairs, "annotators_per_item": args.annotators,
            "annotators": [u.username for u in people], "settings": run_settings, "repeats": args.repeats,
            "icm_pool_seed": args.seed, "test_seed": args.seed}, user=admin)
        items = describe_items(st)
        print(f"   study #{st.pk} {st.name!r}: ICM pool {items['icm_pool_ids']}; people's train items "
              f"{items['people_train_ids']}; test {items['test_ids']}; k = {st.annotators_per_item}; "
              f"repeats {st.repeats}; ICM settings {st.settings}")
        print(f"   studio's estimates: ICM {studies.icm_estimate(st, user=admin)}; "
              f"evaluation {studies.evaluation_estimate(st)}")
        report["study"] = {"id": st.pk, "name": st.name, "items": items, "settings": st.settings}

    with step("people label (simulated annotators through the annotation queue)"):
        studies.open_labeling(st, user=admin)
        sim = simulate_people(ds, people, args.human_accuracy, args.seed)
        for who, s in sim.items():
            print(f"   {who}: {s['labels']} labels on {s['pairs']} pairs (both orders of a pair: {s['both_orders']}); "
                  f"answered gold on {s['answered_gold']} of {s['labels']}")
        people_step = next(s for s in studies.study_steps(st) if s.key == "people")
        print(f"   people step: {people_step.state}: {people_step.summary}")
        report["simulated_annotators"] = {
            "how": f"each answers the shown example's gold label with probability {args.human_accuracy}, the "
                   "opposite otherwise, independently per item, random.Random(seed * 1000 + index)",
            "per_annotator": sim}

    with step("ICM over the train pool (start_icm, batches executed in-process)"):
        run = studies.start_icm(st, user=admin)
        for batch in run.batches.order_by("index"):
            b0 = time.monotonic()
            execute_batch(batch.pk, task_id=batch.celery_task_id, get_backend=engine_port.get_backend,
                          worker="gender-study")
            print(f"   batch {batch.index} ({batch.example_count} examples): {time.monotonic() - b0:.1f} s", flush=True)
        run.refresh_from_db()
        if run.state != ElicitationRun.State.COMPLETED:
            raise SystemExit(f"the ICM run ended {run.state}: {run.error}")
        gold = dict(GoldLabel.objects.filter(example_id__in=st.icm_pool_ids).values_list("example_id", "label"))
        labels = list(ElicitedLabel.objects.filter(run=run).values_list("example_id", "label", "kind"))
        kinds = {k: [(i, y) for i, y, kk in labels if kk == k] for k in ("elicited", "filled")}
        agree = {k: sum(1 for i, y in v if y == gold[i]) for k, v in kinds.items()}
        conf = {key: run.config.get(key) for key in ("iterations", "scoring", "folds", "max_demos", "calibrate",
                                                      "fill", "initial_labels", "seed")}
        print(f"   run #{run.pk}: config {conf}")
        print(f"   {len(kinds['elicited'])} elicited (agree with gold {agree['elicited']}), {len(kinds['filled'])} "
              f"filled (agree {agree['filled']}) of {len(labels)} pool examples; {run.iteration} iterations")
        report["icm_run"] = {"id": run.pk, "config": conf, "elicited": len(kinds["elicited"]),
                             "elicited_agree_with_gold": agree["elicited"], "filled": len(kinds["filled"]),
                             "filled_agree_with_gold": agree["filled"], "iterations": run.iteration}

    with step("the evaluation (start_study_evaluation, executed in-process)"):
        ev = studies.start_study_evaluation(st, user=admin, enqueue=False)
        ev = execute_evaluation(ev.pk)
        if ev.state != "completed":
            raise SystemExit(f"the evaluation ended {ev.state}: {ev.error}")
        res = ev.results
        print(f"   evaluation #{ev.pk}: {res['n_test']} test examples, demonstrations per repeat "
              f"{[r['n_demos'] for r in res['repeats']]}, calibration {ev.config['calibrate']}, "
              f"{res.get('tokens')} tokens, {res.get('seconds')} s")
        for s in res.get("skipped", []):
            print(f"   skipped: {s}")

    with step("results, figure, CSV, JSON, PNG"):
        st.refresh_from_db()
        data = studies.study_results(st)
        print(f"   {data['study']['name']}: accuracy on {data['n_test']} test items")
        for row in data["rows"]:
            extra = f", ties left out {row['ties']}" if "ties" in row else ""
            extra += f", {row['n_demos']} demonstrations, {row['repeats']} repeats" if row.get("n_demos") else ""
            print(f"   {row['name']:<36} {pct(row['accuracy']):>6}  95% [{pct(row['ci_low'])}, {pct(row['ci_high'])}]"
                  f"  n={row['n']}" + (f"  correct={row['correct']}" if row.get("correct") is not None else "")
                  + f"  ({row['interval']}{extra})")
        print(f"   verdict: {data['verdict']}")
        for cmp in res.get("comparisons", []):
            print(f"     {cmp['sentence']}")
        svg = studies.render_svg(data)
        (out / "figure.svg").write_text(svg)
        (out / "results.csv").write_text(studies.results_csv(data))
        png = render_png(svg, out / "figure.png")
        print(f"   figure.png: {png}")
        report.update({"results": data, "comparisons": res.get("comparisons"), "evaluation_id": ev.pk,
                       "evaluation_seconds": res.get("seconds"), "evaluation_tokens": res.get("tokens"),
                       "demos_per_repeat": [r["n_demos"] for r in res["repeats"]]})
    return report


def render_png(svg: str, path: Path) -> str:
    """A screenshot of the SVG in Debian's Chromium (headless), or why there is none."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return "not written: /usr/bin/chromium is missing"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "not written: playwright is not installed"
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=args, headless=True)
        try:
            page = browser.new_page(device_scale_factor=2)
            page.set_content(f"<html><body style='margin:0;background:#fff'>{svg}</body></html>")
            page.locator("svg").first.screenshot(path=str(path))
        finally:
            browser.close()
    return str(path)


if __name__ == "__main__":
    main()
