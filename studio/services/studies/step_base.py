"""What every study step is made of: its state words, the Step record the page and the API show, and the guards
each step's start goes through (admins only, the step must offer the action, the study row locked)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from studio.models import Study
from studio.services import policies

from .errors import StudyRefused

WAITING, READY, RUNNING, DONE, FAILED, NOT_NEEDED = "waiting", "ready", "running", "done", "failed", "not needed"
CANCELED = "canceled"
STARTABLE = (READY, FAILED, CANCELED)  # a step in one of these can be started (again)


@dataclass
class Step:
    key: str
    title: str
    state: str
    depends_on: str                  # in words
    summary: str                     # one line: where it stands
    blocked: str | None = None       # why it cannot start yet (None when it can or is under way)
    actions: list[str] = field(default_factory=list)   # what an admin may do now
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _require_admin(user) -> None:
    if not policies.studies.can_start(user):
        raise StudyRefused("only admins start a study's steps", kind="forbidden")


def _refuse_unless(step: Step, action: str) -> None:
    if action not in step.actions:
        reason = step.blocked or f"{step.title}: {step.summary}"
        raise StudyRefused(f"{step.title} cannot be started now. {reason}", kind="conflict")


def _locked(study: Study) -> Study:
    return Study.objects.select_for_update().select_related("dataset").get(pk=study.pk)
