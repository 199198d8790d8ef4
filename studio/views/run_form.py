"""The "start a run" form, shared by the studio's start page and the admin's. Its hyperparameter fields come from
the engine port's field list (read from the engine's ICMConfig), so a new engine setting shows up here without a
change. The form does not check hyperparameters itself: it hands their text to the runs service, which parses
them once (studio.services.engine_port), so a bad value gets the same message here, in the admin and in the API."""
from __future__ import annotations

from django import forms
from django.conf import settings

from studio.models import Dataset, ElicitationRun
from studio.services import runs
from studio.services.splits import dataset_splits
from studio.services.engine_port import DEVICES, ConfigField, config_fields
from studio.services.engine_port.config_fields import BOOL, FLOAT, INT, WORD
from studio.services.refusals import Refusal
from studio.services.runs.preview import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from studio.services.runs.subsets import SAMPLE_RULE

# Form field names of hyperparameters (cfg_iterations, ...), apart from the run's own fields.
CONFIG_PREFIX = "cfg_"
# Settings the studio fills in itself: label words come from the dataset.
HIDDEN_HYPERPARAMETERS = {"label_words"}
# Where the studio's default differs from the engine's: fill labels what the search left (marked "filled").
STUDIO_INITIAL = {"fill": True}
# Settings whose blank choice means "let the studio choose" (it records the choice in the run).
STUDIO_DEFAULTED = {
    "calibrate": "studio default (center for the bundled model, else none)",
    "scoring": "studio default (folds on a CPU over more than 32 examples, else exact)",
}


def _hyperparameter_field(spec: ConfigField) -> forms.Field:
    """A form field that shows the hyperparameter and passes its text on unchecked (blank = the default)."""
    label = spec.name.replace("_", " ")
    if spec.optional:
        help_text = "engine default: none (leave blank)"
    else:
        help_text = f"engine default: {spec.default}"
    initial = None if spec.optional or spec.name in STUDIO_DEFAULTED else STUDIO_INITIAL.get(spec.name, spec.default)
    if spec.kind == WORD:
        blank = [("", STUDIO_DEFAULTED[spec.name])] if spec.name in STUDIO_DEFAULTED else []
        widget = forms.Select(choices=blank + [(c, c) for c in spec.choices])
    elif spec.kind in (INT, FLOAT):
        widget = forms.NumberInput(attrs={"step": "1" if spec.kind == INT else "any"})
    elif spec.kind == BOOL:
        widget = forms.CheckboxInput()
    else:
        widget = forms.TextInput()
    return forms.CharField(label=label, required=False, initial=initial, help_text=help_text, widget=widget,
                           strip=True)


class StartRunForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.all())
    split = forms.ChoiceField(required=False, help_text="Blank: every split.")
    subset = forms.ChoiceField(choices=ElicitationRun.Subset.person_choices(), initial=ElicitationRun.Subset.ALL)
    sample_size = forms.IntegerField(required=False, min_value=1,
                                     help_text="For a random sample: how many examples. " + SAMPLE_RULE)
    sample_seed = forms.IntegerField(required=False, initial=0, help_text="For a random sample: its seed.")
    model = forms.CharField(max_length=500, help_text="smollm2 (the bundled SmolLM2-135M-Instruct), a local path "
                                                      "or a model name the worker can load.")
    backend = forms.ChoiceField(choices=ElicitationRun.Backend.choices, initial=ElicitationRun.Backend.HF)
    device = forms.ChoiceField(choices=[(d, d) for d in DEVICES], initial="auto")
    base_url = forms.CharField(required=False, max_length=500, label="Base URL",
                               help_text="OpenAI-compatible backend only, e.g. http://vllm:8000/v1")
    # Text, checked by the runs service (one message wherever the value comes from).
    batch_size = forms.CharField(required=False, initial=DEFAULT_BATCH_SIZE, max_length=20, label="batch size",
                                 widget=forms.NumberInput(attrs={"step": "1", "min": "1", "max": str(MAX_BATCH_SIZE)}),
                                 help_text=f"Examples per batch (1 to {MAX_BATCH_SIZE}; blank: {DEFAULT_BATCH_SIZE}). "
                                 "The run is cut into batches of whole consistency groups, each an independent "
                                 "search; batches run in parallel on the workers there are.")
    # Shown only once the run's estimate is above the limit (settings.STUDIO_CONFIRM_RUN_SECONDS).
    confirm = forms.BooleanField(required=False)

    RUN_FIELDS = ["dataset", "split", "subset", "sample_size", "sample_seed", "model", "backend", "device", "base_url",
                  "batch_size"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].initial = settings.STUDIO_MODEL
        self.fields["split"].choices = [("", "every split")] + [(s, s) for s in dataset_splits()]
        self.preview: runs.RunPreview | None = None  # set once the run has been planned (preview or refusal)
        self.needs_confirmation = False
        self.hyperparameters = []
        for spec in config_fields():
            if spec.name in HIDDEN_HYPERPARAMETERS:
                continue
            self.fields[CONFIG_PREFIX + spec.name] = _hyperparameter_field(spec)
            self.hyperparameters.append(spec.name)

    def run_fields(self):
        return [self[name] for name in self.RUN_FIELDS]

    def hyperparameter_fields(self):
        return [self[CONFIG_PREFIX + name] for name in self.hyperparameters]

    def chosen_config(self) -> dict:
        """The hyperparameters the admin filled in, as text (blank ones are left to the engine or the studio)."""
        config = {}
        for name in self.hyperparameters:
            value = self.cleaned_data.get(CONFIG_PREFIX + name)
            if value not in ("", None):
                config[name] = value
        return config

    def _values(self) -> dict:
        data = self.cleaned_data
        return dict(split=data.get("split") or "", subset=data["subset"], sample_size=data.get("sample_size"),
                    sample_seed=data.get("sample_seed"), model=data["model"], backend=data["backend"],
                    device=data["device"], base_url=data.get("base_url") or "", config=self.chosen_config(),
                    batch_size=data.get("batch_size"))

    def start(self, user) -> ElicitationRun | None:
        """Start the run (form must be valid). A refusal becomes a form error (on the field it names, if the form
        has it); returns None then. A run estimated above the limit starts only once the confirm box is ticked;
        until then the form shows the estimate, the coverage warning and the box."""
        try:
            return runs.start_run(self.cleaned_data["dataset"], user=user, **self._values(),
                                  confirmed=bool(self.cleaned_data.get("confirm")))
        except runs.RunNeedsConfirmation as exc:
            self.preview, self.needs_confirmation = exc.preview, True
            label = f"I understand this run will take {self.estimate_words()}"
            self.fields["confirm"].label = self["confirm"].label = label  # the bound field was made by the cleaning
            self.add_error("confirm", "Tick this box to start a run this long, or change the settings.")
            return None
        except Refusal as exc:
            self._refused(exc)
            return None

    def plan(self, user) -> runs.RunPreview | None:
        """Plan the run without starting it (form must be valid): its estimate and coverage show on the form."""
        try:
            self.preview = runs.preview_run(self.cleaned_data["dataset"], user=user, **self._values())
        except Refusal as exc:
            self._refused(exc)
        return self.preview

    def estimate_words(self) -> str:
        from studio.services.runs.estimates import about

        return about(self.preview.estimate.seconds) if self.preview else ""

    def confirm_field(self):
        return self["confirm"]

    def _refused(self, exc: Refusal) -> None:
        if exc.field in self.hyperparameters:
            field = CONFIG_PREFIX + exc.field
        else:
            field = exc.field if exc.field in self.RUN_FIELDS else None
        self.add_error(field, exc.message)


def submit(request, form: StartRunForm) -> ElicitationRun | None:
    """What the start page and the admin's start view do with a posted form: "Estimate first" plans the run onto
    the form; otherwise the run starts and the page says so. Returns the run once it is queued."""
    if not form.is_valid():
        return None
    if request.POST.get("preview"):
        form.plan(request.user)  # the estimate and coverage, on the form; nothing starts
        return None
    run = form.start(request.user)
    if run is not None:
        queued_messages(request, run)
    return run


def queued_messages(request, run: ElicitationRun) -> None:
    """What the page and the admin say once a run is queued: that it is, its estimate, and its coverage warning."""
    from django.contrib import messages

    estimate = (run.summary or {}).get("estimate") or {}
    text = f" Estimated: {estimate['text']}." if estimate.get("text") else ""
    messages.success(request, f"Run #{run.pk} queued on {run.dataset.name}.{text}")
    warning = ((run.summary or {}).get("coverage") or {}).get("warning")
    if warning:
        messages.warning(request, f"Coverage: {warning}")


def confirm_limit() -> str:
    """The estimated duration above which a run is confirmed before it starts, in words."""
    from studio.services.runs.estimates import duration_words

    return duration_words(settings.STUDIO_CONFIRM_RUN_SECONDS)
