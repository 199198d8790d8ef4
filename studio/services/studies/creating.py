"""Creating a study: every value checked, the items chosen (whole consistency groups, seeded, with
studio.services.runs.subsets' group logic), then one row written — or a StudyRefused naming the field and
nothing written. `plan_study` does all but the write (the admin's form and the page's form show its refusals
on their fields)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from studio.models import Dataset, Example, GoldLabel, Membership, Study
from studio.services import policies
from studio.services.engine_port import ConfigRefused, parse_config
from studio.services.runs import RunRefused
from studio.services.runs.preview import check_backend
from studio.services.runs.subsets import _groups, _sample
from studio.services.splits import dataset_splits
from studio.services.tallies import study_counts
from studio.services.evaluation.options import LIMITS as EVALUATION_LIMITS

from .designs import offered_designs_with, recommended
from .errors import StudyRefused
from .templates import CUSTOM, DESIGNS, TEMPLATES

FIELDS = ("name", "train_split", "test_split", "icm_pool_size", "icm_pool_seed", "people_train_size", "test_size",
          "test_seed", "annotators_per_item", "annotators", "model", "settings", "repeats", "design")
MAX_K = 50
MAX_REPEATS = EVALUATION_LIMITS["repeats"][1]  # one bound: the study's evaluation runs them all


def _whole(values: dict, name: str, lo: int, hi: int) -> int:
    raw = values[name]
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and len(raw.strip()) < 12:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise StudyRefused(f"{name}: expected a whole number, got {raw!r}", name)
    if not lo <= raw <= hi:
        raise StudyRefused(f"{name}: must be from {lo} to {hi}, got {raw}", name)
    return raw


def _rows(dataset: Dataset, split: str, ids=None) -> list[tuple]:
    qs = Example.objects.filter(dataset=dataset, split=split)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("position", "pk").values_list("pk", "group"))


def _draw(rows, *, size: int, seed: int, where: str, field: str) -> list[int]:
    """`size` examples of whole groups from `rows` (seeded), as subsets' sample does; its refusal renamed."""
    if size == 0:
        return []
    if not rows:
        raise StudyRefused(f"{field}: {where} has no examples", field)
    try:
        return _sample(rows, _groups(rows), size=size, seed=seed, where=where).ids
    except RunRefused as refusal:
        raise StudyRefused(refusal.message.replace("sample_size", field, 1), field) from None


def _annotators(dataset: Dataset, raw) -> list:
    """The chosen people: each must annotate the dataset (a membership), so the queue can serve them."""
    User = get_user_model()
    if raw in (None, "", []):
        return []
    if not isinstance(raw, (list, tuple)) and not hasattr(raw, "__iter__"):
        raise StudyRefused("annotators: expected a list of users", "annotators")
    users = []
    for item in raw:
        if isinstance(item, User):
            users.append(item)
            continue
        user = (User.objects.filter(pk=item).first() if isinstance(item, int) or str(item).isdigit()
                else User.objects.filter(username=item).first())
        if user is None:
            raise StudyRefused(f"annotators: there is no user {item!r}", "annotators")
        users.append(user)
    members = set(Membership.objects.filter(dataset=dataset, role=Membership.Role.ANNOTATOR,
                                            user__in=users).values_list("user_id", flat=True))
    outside = [u.get_username() for u in users if u.pk not in members]
    if outside:
        raise StudyRefused(f"annotators: {', '.join(outside)} do not annotate {dataset.name} (give them the "
                           "annotator role on it first)", "annotators")
    return list({u.pk: u for u in users}.values())


class _Errors:
    """Every refusal of one plan, collected: the form and the API show them all at once."""

    def __init__(self):
        self.found: list[StudyRefused] = []

    def check(self, fn, *args, default=None, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StudyRefused as refusal:
            self.add(refusal)
            return default

    def add(self, refusal: StudyRefused) -> None:
        if not any(r.field == refusal.field for r in self.found if r.field):  # one message per field
            self.found.append(refusal)

    def raise_any(self) -> None:
        if not self.found:
            return
        if len(self.found) == 1:
            raise self.found[0]
        first = self.found[0]
        combined = StudyRefused(" ".join(r.message for r in self.found), first.field,
                                kind="conflict" if all(r.kind == "conflict" for r in self.found) else "invalid")
        combined.errors = list(self.found)
        combined.extra = {r.field: r.message for r in self.found[1:] if r.field}
        raise combined


def errors_of(refusal: StudyRefused) -> list[StudyRefused]:
    """The refusals one refusal stands for (several when a plan found more than one bad value)."""
    return list(getattr(refusal, "errors", None) or [refusal])


def _people_available(dataset: Dataset) -> int:
    return Membership.objects.filter(dataset=dataset, role=Membership.Role.ANNOTATOR).count()


def plan_study(dataset: Dataset, template: str, overrides: dict | None = None, *, check_name: bool = True,
               check_people: bool = True) -> dict:
    """The study's field values (items chosen), checked; StudyRefused naming the field otherwise (every bad
    value at once: `errors_of(refusal)`). Writes nothing. Blank values take the chosen design's (`design`:
    "paper" or "reduced"; none given: the one designs.recommended offers); given settings go over the design's,
    so the run always has its iterations."""
    if template not in TEMPLATES:
        raise StudyRefused(f"template: {template!r} is not one of {', '.join(TEMPLATES)}", "template")
    spec = TEMPLATES[template]
    if spec.preset is not None and dataset.preset != spec.preset:
        raise StudyRefused(f"template: {template!r} is for the {spec.preset!r} preset's dataset; {dataset.name} "
                           f"is {'the ' + repr(dataset.preset) + ' preset' if dataset.preset else 'not a preset'} "
                           f"(use {CUSTOM!r})", "template")
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(FIELDS))
    if unknown:
        raise StudyRefused(f"{unknown[0]}: not a study setting (settings: {', '.join(FIELDS)})", unknown[0])
    design = str(overrides.pop("design", None) or "")
    if not design:  # the design this deployment can finish: the paper's when it fits under the limit
        design = recommended(offered_designs(dataset, template))
    if design not in DESIGNS:
        raise StudyRefused(f"design: {design!r} is not one of {', '.join(DESIGNS)}", "design")
    base = spec.defaults(design)
    given_settings = overrides.pop("settings", None)
    values = {**base, "name": "", "annotators": [], "model": "smollm2",
              **{k: v for k, v in overrides.items() if v is not None}}
    errors = _Errors()

    name = str(values["name"] or "").strip()
    if not name:
        errors.add(StudyRefused("name: give the study a name", "name"))
    elif len(name) > 200:
        errors.add(StudyRefused("name: at most 200 characters", "name"))
    elif check_name and Study.objects.filter(name=name).exists():
        errors.add(StudyRefused(f"name: a study named {name!r} already exists", "name", kind="conflict"))

    splits = dataset_splits(dataset)
    have = ", ".join(repr(s) for s in splits) or "none"
    for field in ("train_split", "test_split"):
        values[field] = str(values[field] or "").strip()
        if values[field] not in splits:
            errors.add(StudyRefused(f"{field}: {dataset.name} has no split {values[field]!r} (its splits: {have})",
                                    field))
    if values["train_split"] == values["test_split"]:
        errors.add(StudyRefused("test_split: must differ from train_split (demonstrations would include test "
                                "items)", "test_split"))

    crowd = values["human_condition"] == Study.HumanCondition.CROWD
    pool_size = errors.check(_whole, values, "icm_pool_size", 1, 100_000)
    pool_seed = errors.check(_whole, values, "icm_pool_seed", 0, 2**31 - 1)
    people_size = errors.check(_whole, values, "people_train_size", 0, 100_000)
    test_size = errors.check(_whole, values, "test_size", 1, 100_000)
    test_seed = errors.check(_whole, values, "test_seed", 0, 2**31 - 1)
    k = errors.check(_whole, values, "annotators_per_item", 0 if crowd else 1, MAX_K)
    repeats = errors.check(_whole, values, "repeats", 1, MAX_REPEATS)
    if crowd and (people_size or k):
        errors.add(StudyRefused("people_train_size: this template's human condition is the imported crowd votes; "
                                "nobody labels in the studio (people_train_size and annotators_per_item must be "
                                "0)", "people_train_size"))
    if not crowd and people_size == 0:
        errors.add(StudyRefused("people_train_size: people need train items to label (the people's labels' "
                                "demonstrations); give at least one group's worth", "people_train_size"))
    if people_size is not None and pool_size is not None and people_size > pool_size:
        errors.add(StudyRefused(f"people_train_size: {people_size} is more than the ICM pool's {pool_size}: the "
                                "people's train items lie inside the pool (paired demonstrations)",
                                "people_train_size"))

    model = str(values["model"] or "").strip()
    try:
        model = check_backend(model, "hf", "auto", "")
    except RunRefused as refusal:
        errors.add(StudyRefused(refusal.message, "model"))
    if given_settings not in (None, "") and not isinstance(given_settings, dict):
        errors.add(StudyRefused("settings: expected an object of the ICM run's hyperparameters", "settings"))
        given_settings = {}
    run_settings = {**(values["settings"] or {}), **(given_settings or {})}
    try:
        parse_config(run_settings)
    except ConfigRefused as refusal:
        errors.add(StudyRefused(f"settings: {refusal.message}", "settings"))
    annotators = [] if crowd else (errors.check(_annotators, dataset, values["annotators"], default=[]))
    if not crowd and k is not None:
        if annotators and len(annotators) < k:
            errors.add(StudyRefused(f"annotators_per_item: {k} annotator{'s' if k != 1 else ''} per item needs at least "
                                    f"{k} {'people' if k != 1 else 'person'}; {len(annotators)} chosen ({', '.join(u.get_username() for u in annotators)})",
                                    "annotators_per_item"))
        elif check_people and not annotators and values["annotators"] in (None, "", []):
            available = _people_available(dataset)
            if available < k:
                errors.add(StudyRefused(
                    f"annotators_per_item: {k} annotator{'s' if k != 1 else ''} per item needs at least {k} "
                    f"{'people' if k != 1 else 'person'}; {dataset.name} has "
                    f"{available} annotator{'s' if available != 1 else ''} (give more people the annotator role, "
                    "or lower k)", "annotators_per_item"))

    if None in (pool_size, pool_seed, people_size, test_size, test_seed) or any(
            r.field in ("train_split", "test_split") for r in errors.found):
        errors.raise_any()  # the items are drawn only from splits that exist and sizes that are whole numbers
    train_where = f"split {values['train_split']!r} of {dataset.name}"
    pool = errors.check(_draw, _rows(dataset, values["train_split"]), size=pool_size, seed=pool_seed,
                        where=train_where, field="icm_pool_size", default=[])
    people = errors.check(_draw, _rows(dataset, values["train_split"], pool), size=people_size, seed=pool_seed,
                          where=f"the ICM pool ({len(pool)} examples)", field="people_train_size", default=[])
    test_rows = [r for r in _rows(dataset, values["test_split"])]
    with_gold = set(GoldLabel.objects.filter(example__dataset=dataset, example__split=values["test_split"])
                    .values_list("example_id", flat=True))
    test_rows = [r for r in test_rows if r[0] in with_gold]
    test = errors.check(_draw, test_rows, size=test_size, seed=test_seed,
                        where=f"split {values['test_split']!r} of {dataset.name} (examples with gold)",
                        field="test_size", default=[])
    if crowd and pool and not Example.objects.filter(Q(crowd_true__gt=0) | Q(crowd_false__gt=0), pk__in=pool).exists():
        errors.add(StudyRefused(f"template: {dataset.name} has no crowd votes on its train items", "template"))
    errors.raise_any()
    return {
        "name": name, "dataset": dataset, "template": template, "design": design,
        "train_split": values["train_split"],
        "test_split": values["test_split"], "human_condition": values["human_condition"],
        "icm_pool_size": pool_size, "icm_pool_seed": pool_seed, "icm_pool_ids": pool,
        "people_train_size": people_size, "people_train_ids": people, "test_size": test_size,
        "test_seed": test_seed, "test_ids": test, "annotators_per_item": k, "model": model,
        "settings": run_settings, "repeats": repeats, "annotators": annotators,
    }


def create_study(dataset: Dataset, template: str, overrides: dict | None = None, *, user) -> Study:
    """A study from `template` over `dataset`, with `overrides` (see FIELDS). Admins only. StudyRefused naming
    the field, and nothing written, for any bad value."""
    if not policies.studies.can_write(user):
        raise StudyRefused("only admins create studies", kind="forbidden")
    values = plan_study(dataset, template, overrides)
    annotators = values.pop("annotators")
    try:
        with transaction.atomic():
            study = Study.objects.create(**values, created_by=user if user and user.is_authenticated else None)
            study.annotators.set(annotators)
            study_counts.fill(study)  # its items as rows and their progress, kept on write from now on
    except IntegrityError:
        raise StudyRefused(f"name: a study named {values['name']!r} already exists", "name", kind="conflict") from None
    from .stored_facts import compute_all  # it reads steps, which imports this module

    compute_all(study, user=user)  # once here, not on every view of the study page
    return study


def offered_designs(dataset: Dataset, template: str) -> list:
    """The template's designs (the paper's and the reduced one) on `dataset`, each with its estimate."""
    return offered_designs_with(plan_study, dataset, template)
