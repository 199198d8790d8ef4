"""`evaluate DATASET [--runs ID ...] [--repeats 3] [--max-test N] [--max-demos K] [--seed S] [--calibrate C]
[--trained [--trainer probe|finetune] [--only-trained]] [--json]`: run one evaluation in this process (no worker,
no broker) with the studio's model and print its result — a table of each condition's accuracy (mean ± sd over the
repeats, 95% interval, n) and the verdict, or with --json the evaluation's results as JSON. --trained adds the
trained measure (a probe on the model's cached features, or --trainer finetune) beside the in-context one; its rows
are marked "[trained]". A refused or failed evaluation exits 1, its reason on stderr."""
import contextlib
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from studio.models import Dataset, Evaluation
from studio.services import evaluation
from studio.services.refusals import Refusal

# command-line option -> the evaluation service's option name (studio.services.evaluation, its contract)
OPTIONS = {"train_split": "train_split", "test_split": "test_split", "test_ids": "test_ids", "max_test": "max_test",
           "max_demos": "max_demos", "repeats": "repeats", "seed": "seed", "calibrate": "calibrate",
           "runs": "runs", "conditions": "conditions", "model_conditions": "models", "min_labels": "min_labels",
           "trainer": "trainer", "max_train": "max_train", "finetune_steps": "finetune_steps",
           "adjudication": "adjudication"}


def _dataset(ref: str) -> Dataset:
    dataset = Dataset.objects.filter(slug=ref).first()
    if dataset is None and ref.isdigit() and int(ref) < 2**63:
        dataset = Dataset.objects.filter(pk=int(ref)).first()
    if dataset is None:  # a preset's name (sst2) names the dataset imported from it, when there is one
        of_preset = list(Dataset.objects.filter(preset=ref).order_by("pk")[:2])
        if len(of_preset) > 1:
            raise CommandError(f"more than one dataset comes from the preset {ref!r}: give its slug")
        dataset = of_preset[0] if of_preset else None
    if dataset is None:
        known = ", ".join(Dataset.objects.order_by("slug").values_list("slug", flat=True)[:20]) or "none"
        raise CommandError(f"no dataset with slug, preset or id {ref!r} (datasets: {known})")
    return dataset


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def condition_rows(ev: Evaluation) -> list[dict]:
    """One row per condition: name, mean, sd, ci_low, ci_high, n. The contract's results carry them; results
    recorded before it (per-source predictions) are scored against gold by the review service."""
    results = ev.results or {}
    if "conditions" in results:
        return [{"name": c.get("name", c.get("key")) + (" [trained]" if c.get("measure") == "trained" else ""),
                 "mean": c.get("mean"), "sd": c.get("sd"),
                 "ci_low": c.get("ci_low"), "ci_high": c.get("ci_high"), "n": c.get("n")}
                for c in results["conditions"]]
    from studio.services.review.comparison import comparison  # today's results format only

    return [{"name": b["name"], "mean": b["accuracy"], "sd": None, "ci_low": b["ci_low"], "ci_high": b["ci_high"],
             "n": b["n"]} for b in comparison(ev)["bars"]]


def table(ev: Evaluation) -> list[str]:
    results, config = ev.results or {}, ev.config or {}
    repeats = results.get("repeats")
    n_test = results.get("n_test", len(results.get("test_ids") or results.get("example_ids") or []))
    head = (f"Evaluation {ev.pk} of {ev.dataset.slug}: {n_test} test items ({config.get('test_split', 'test')}), "
            f"demonstrations from {config.get('train_split', 'train')}, "
            f"{len(repeats) if repeats is not None else 1} repeat(s), model {results.get('model') or config.get('model')}")
    rows = condition_rows(ev)
    width = max([len("condition"), *(len(str(r["name"])) for r in rows)])
    lines = [head, "", f"{'condition':<{width}}  {'mean ± sd':>16}  {'95% CI':>17}  {'n':>5}"]
    for r in rows:
        sd = "–" if r["sd"] is None else f"{100 * r['sd']:.1f}"
        ci = f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
        lines.append(f"{r['name']:<{width}}  {_pct(r['mean']) + ' ± ' + sd:>16}  {ci:>17}  {r['n'] or 0:>5}")
    lines += ["", f"Verdict: {results.get('verdict') or 'none recorded (these results have no paired comparison)'}"]
    note = (results.get("reference") or {}).get("note")
    if note:  # scored on expert answers, not gold: said under the verdict
        lines.append(note)
    trained = results.get("trained")
    if trained:
        f = trained.get("features") or {}
        lines.append(f"Trained measure: {trained.get('trainer')} on {len((trained.get('train_ids') or [[]])[0])} train "
                     f"items per repeat; features {f.get('computed', 0)} computed, {f.get('reused', 0)} reused "
                     f"({f.get('rule') or 'no features'}).")
    return lines


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="the dataset's slug, its preset's name (sst2) or its id")
        parser.add_argument("--runs", nargs="+", type=int, metavar="ID",
                            help="ICM runs to include (default: the eligible completed runs)")
        parser.add_argument("--repeats", type=int, help="demonstration draws (default 3)")
        parser.add_argument("--max-test", type=int, help="test items sampled with the seed (default 200)")
        parser.add_argument("--test-ids", nargs="+", type=int, metavar="ID", help="test on these examples instead")
        parser.add_argument("--max-demos", type=int, help="cap on demonstrations (default: as many as fit)")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--calibrate", help="none or center (default: the runs' calibration)")
        parser.add_argument("--train-split", help="default train")
        parser.add_argument("--test-split", help="default test")
        parser.add_argument("--conditions", nargs="+", metavar="KIND",
                            help="zero-shot, zero-shot-chat, random, people, crowd, icm, gold (default: all that apply)")
        parser.add_argument("--models", nargs="+", metavar="MODEL", help="other models, each scored zero-shot")
        parser.add_argument("--min-labels", type=int, help="the people's majority counts annotators with this many")
        parser.add_argument("--trained", action="store_true",
                            help="add the trained measure: a model trained on each source's labels")
        parser.add_argument("--only-trained", action="store_true", help="the trained measure alone (with zero-shot)")
        parser.add_argument("--trainer", help="probe (default) or finetune; with --trained")
        parser.add_argument("--max-train", type=int, help="cap on train items per repeat; with --trained")
        parser.add_argument("--finetune-steps", type=int, help="LoRA steps; with --trainer finetune")
        parser.add_argument("--adjudication", type=int, metavar="ID",
                            help="score the test items on this adjudication's expert answers (default: gold, or "
                            "the newest answered adjudication where the test split has no gold)")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args, dataset, json: bool = False, **options):
        ds = _dataset(dataset)
        given = {name: options[arg] for name, arg in OPTIONS.items() if options.get(arg) is not None}
        if options.get("only_trained"):
            given["measures"] = ["trained"]
        elif options.get("trained"):
            given["measures"] = ["in-context", "trained"]
        try:
            ev = evaluation.start_evaluation(ds, options=given, enqueue=False)
        except Refusal as refusal:
            raise CommandError(f"evaluation refused: {refusal}") from None
        # The engine and its model loader may print; stdout carries only the result (JSON for scripts).
        with contextlib.redirect_stdout(sys.stderr):
            ev = evaluation.execute_evaluation(ev.pk)  # the worker's model cache (engine_port.get_backend)
        if ev.state != Evaluation.State.COMPLETED:
            raise CommandError(f"evaluation {ev.pk} {ev.state}: {ev.error or 'no reason recorded'}")
        if json:
            self.stdout.write(_json(ev))
        else:
            self.stdout.write("\n".join(table(ev)))


def _json(ev: Evaluation) -> str:
    body = {"evaluation_id": ev.pk, "dataset": ev.dataset.slug, "state": ev.state, "config": ev.config,
            **(ev.results or {})}
    return json.dumps(body, indent=2, sort_keys=False)
