"""The "start a run" form, shared by the studio's start page and the admin's. Its hyperparameter fields are built
from the engine's own defaults, so a new engine setting shows up here without a change."""
from __future__ import annotations

from django import forms
from django.conf import settings

from studio.models import Dataset, ElicitationRun, Example
from studio.services import runs
from studio.services.runs import engine

# Form field names of hyperparameters (cfg_iterations, ...), apart from the run's own fields.
CONFIG_PREFIX = "cfg_"
# Settings the studio fills in itself: label words come from the dataset.
HIDDEN_HYPERPARAMETERS = {"label_words"}
# Settings whose blank choice means "let the studio choose" (it records the choice in the run).
STUDIO_DEFAULTED = {
    "calibrate": "studio default (center for the bundled model, else none)",
    "scoring": "studio default (folds on a CPU over more than 32 examples, else exact)",
}


class StartRunForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.all())
    split = forms.ChoiceField(required=False, help_text="Blank: every split.")
    subset = forms.ChoiceField(choices=ElicitationRun.Subset.choices, initial=ElicitationRun.Subset.ALL)
    sample_size = forms.IntegerField(required=False, min_value=1, help_text="For a random sample: how many.")
    sample_seed = forms.IntegerField(required=False, initial=0, help_text="For a random sample: its seed.")
    model = forms.CharField(max_length=500, help_text="smollm2 (the bundled SmolLM2-135M-Instruct), a local path "
                                                      "or a model name the worker can load.")
    backend = forms.ChoiceField(choices=ElicitationRun.Backend.choices, initial=ElicitationRun.Backend.HF)
    device = forms.ChoiceField(choices=[(d, d) for d in ("auto", "cpu", "cuda")], initial="auto")
    base_url = forms.CharField(required=False, max_length=500, label="Base URL",
                               help_text="OpenAI-compatible backend only, e.g. http://vllm:8000/v1")

    RUN_FIELDS = ["dataset", "split", "subset", "sample_size", "sample_seed", "model", "backend", "device", "base_url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].initial = settings.STUDIO_MODEL
        splits = sorted(set(Example.objects.values_list("split", flat=True).distinct()))
        self.fields["split"].choices = [("", "every split")] + [(s, s) for s in splits]
        self.hyperparameters = []
        words = engine.choices()
        optional = engine.optional_kinds()
        for name, default in engine.default_config().items():
            if name in HIDDEN_HYPERPARAMETERS:
                continue
            self.fields[CONFIG_PREFIX + name] = self._field_for(name, default, words.get(name), optional.get(name))
            self.hyperparameters.append(name)

    @staticmethod
    def _field_for(name: str, default, choices: list[str] | None, optional_kind: type | None):
        label = name.replace("_", " ")
        help_text = f"engine default: {default}"
        if optional_kind is not None:  # default None: blank keeps it
            field_class = {int: forms.IntegerField, float: forms.FloatField}.get(optional_kind, forms.CharField)
            return field_class(label=label, required=False, help_text="engine default: none (leave blank)")
        if name in STUDIO_DEFAULTED:
            return forms.ChoiceField(label=label, required=False, help_text=help_text,
                                     choices=[("", STUDIO_DEFAULTED[name])] + [(c, c) for c in choices or []])
        if choices:
            return forms.ChoiceField(label=label, choices=[(c, c) for c in choices], initial=default,
                                     help_text=help_text)
        if isinstance(default, bool):
            return forms.BooleanField(label=label, required=False, initial=default, help_text=help_text)
        if isinstance(default, int):
            return forms.IntegerField(label=label, initial=default, help_text=help_text)
        if isinstance(default, float):
            return forms.FloatField(label=label, initial=default, help_text=help_text)
        return forms.CharField(label=label, initial=default, required=False, help_text=help_text)

    def run_fields(self):
        return [self[name] for name in self.RUN_FIELDS]

    def hyperparameter_fields(self):
        return [self[CONFIG_PREFIX + name] for name in self.hyperparameters]

    def start(self, user) -> ElicitationRun | None:
        """Start the run (form must be valid). A refusal becomes a form error; returns None then."""
        data = self.cleaned_data
        config = {}
        optional = engine.optional_kinds()
        for name in self.hyperparameters:
            value = data.get(CONFIG_PREFIX + name)
            if name in STUDIO_DEFAULTED and value in ("", None):
                continue
            if value == "" and name in optional:
                value = None
            config[name] = value
        try:
            return runs.start_run(
                data["dataset"], user=user, split=data.get("split") or "", subset=data["subset"],
                sample_size=data.get("sample_size"), sample_seed=data.get("sample_seed"), model=data["model"],
                backend=data["backend"], device=data["device"], base_url=data.get("base_url") or "",
                config=config,
            )
        except runs.RunRefused as exc:
            self.add_error(None, str(exc))
            return None
