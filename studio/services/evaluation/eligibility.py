"""Which ICM runs an evaluation compares, and why the others are left out.

By default a completed run is included when every example it searched lies in the evaluation's train split (a run
that also searched test items saw their inputs), it ran the evaluation's model, and it was calibrated as the
evaluation is. Runs named explicitly (`runs`) are the only ones considered: they are included even with another
model or calibration, marked as such, but never a run of another dataset or one that has not completed."""
from __future__ import annotations

from dataclasses import dataclass, field

from studio.models import Dataset, ElicitationRun, Example
from studio.services import engine_port

from .errors import EvaluationRefused


@dataclass
class RunChoice:
    run: ElicitationRun
    marks: list[str] = field(default_factory=list)  # why an explicitly chosen run differs ("another model", ...)

    @property
    def other_model(self) -> bool:
        return any(m.startswith("model ") for m in self.marks)


def run_calibration(run: ElicitationRun) -> str:
    return str((run.config or {}).get("calibrate") or "none")


def _outside_train(run: ElicitationRun, train_split: str) -> int:
    ids = run.example_ids or []
    if not ids:  # an old run without frozen ids: its split says where it searched
        return 0 if run.split == train_split else 1
    inside = Example.objects.filter(pk__in=ids, split=train_split).count()
    return len(ids) - inside


def default_calibration(dataset: Dataset, config: dict) -> str:
    """The calibration of the completed runs of the evaluation's model on this dataset (the latest one's), else
    the studio's run default: center for the bundled model, none for others."""
    latest = (ElicitationRun.objects.filter(dataset=dataset, state=ElicitationRun.State.COMPLETED, model=config["model"])
              .order_by("-pk").first())
    if config.get("runs"):
        chosen = ElicitationRun.objects.filter(pk__in=config["runs"], dataset=dataset).order_by("-pk").first()
        latest = chosen or latest
    if latest is not None:
        return run_calibration(latest)
    return "center" if engine_port.is_bundled(config["model"]) else "none"


def choose_runs(dataset: Dataset, config: dict) -> tuple[list[RunChoice], list[dict]]:
    """(included runs, excluded runs as {"run_id", "reason"})."""
    train = config["train_split"]
    explicit = list(config.get("runs") or [])
    completed = list(ElicitationRun.objects.filter(dataset=dataset, state=ElicitationRun.State.COMPLETED).order_by("pk"))
    if explicit:
        known = {r.pk: r for r in ElicitationRun.objects.filter(pk__in=explicit)}
        for run_id in explicit:
            run = known.get(run_id)
            if run is None or run.dataset_id != dataset.pk:
                raise EvaluationRefused(f"runs: no ICM run {run_id} on dataset {dataset.slug!r}", "runs")
            if run.state != ElicitationRun.State.COMPLETED:
                raise EvaluationRefused(f"runs: ICM run {run_id} is {run.state}, not completed", "runs")
    included, excluded = [], []
    for run in completed:
        reasons = []
        outside = _outside_train(run, train)
        if outside:
            reasons.append(f"it also searched {outside} example{'s' if outside != 1 else ''} outside the "
                           f"{train!r} split")
        if run.model != config["model"]:
            reasons.append(f"model {run.model}, not the evaluation's {config['model']}")
        if run_calibration(run) != config["calibrate"]:
            reasons.append(f"calibrated {run_calibration(run)!r}, the evaluation {config['calibrate']!r}")
        if explicit:
            if run.pk in explicit:
                included.append(RunChoice(run, marks=reasons))
            else:
                excluded.append({"run_id": run.pk, "reason": "not among the runs chosen"})
        elif reasons:
            excluded.append({"run_id": run.pk, "reason": "; ".join(reasons)})
        else:
            included.append(RunChoice(run))
    return included, excluded
