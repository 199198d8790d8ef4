"""ICM runs: the row a Celery task works on, its progress events, and the labels it elicited."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs

from .jobs import Job


class SearchProgress(models.Model):
    """Where an ICM search stands: a batch's own, and on its run the sums over the run's batches
    (studio.services.runs.progress.refresh_run_totals)."""

    example_count = models.PositiveIntegerField(default=0)
    iteration = models.PositiveIntegerField(default=0)
    accepted_flips = models.PositiveIntegerField(default=0)
    energy = models.FloatField(null=True, blank=True)
    inconsistencies = models.PositiveIntegerField(null=True, blank=True)
    labeled_count = models.PositiveIntegerField(default=0)
    tokens_used = models.BigIntegerField(default=0)
    seconds_used = models.FloatField(default=0, help_text="Seconds searching (all deliveries; model loads excluded).")

    class Meta:
        abstract = True


class ElicitationRun(Job, SearchProgress):
    class Subset(models.TextChoices):
        ALL = "all", "All examples of the split"
        SAMPLE = "sample", "A seeded random sample"
        HUMAN_LABELED = "human_labeled", "Examples with human labels"
        IDS = "ids", "Chosen examples (a study's pool)"

        @classmethod
        def person_choices(cls):
            """The subsets a person picks in the run form or the runs API; "ids" is set by a study."""
            return [c for c in cls.choices if c[0] != cls.IDS]

    class Backend(models.TextChoices):
        HF = "hf", "transformers"
        VLLM = "vllm", "vLLM (in-process, GPU)"
        OPENAI = "openai", "OpenAI-compatible server"

    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="runs")
    split = models.CharField(max_length=20, blank=True, help_text="Blank = every split.")
    subset = models.CharField(max_length=20, choices=Subset.choices, default=Subset.ALL)
    sample_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="For a sample: the size requested. It takes whole consistency groups, so "
        "example_count (the size taken) may be smaller."
    )
    sample_seed = models.IntegerField(null=True, blank=True)
    model = models.CharField(max_length=500, default="smollm2")
    backend = models.CharField(max_length=20, choices=Backend.choices, default=Backend.HF)
    device = models.CharField(max_length=20, default="auto")
    base_url = models.CharField(max_length=500, blank=True)
    config = models.JSONField(default=dict, help_text="The engine's hyperparameters (ICMConfig).")
    fingerprint = models.CharField(max_length=64, db_index=True, help_text="Hash of dataset + configuration.")
    uses_gold_derived_metadata = models.BooleanField(default=False)
    example_ids = models.JSONField(
        default=list, blank=True, help_text="The run's examples (primary keys, in order), frozen when it starts."
    )
    batch_size = models.PositiveIntegerField(
        default=256, help_text="Examples per batch: the run is cut into batches of whole consistency groups, each "
        "an independent ICM search (the official code's size is 256)."
    )

    subset_groups = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many whole consistency groups the run's examples form."
    )
    subset_note = models.CharField(
        max_length=300, blank=True,
        help_text="How the examples were chosen, e.g. 'sample of 256 requested: 128 whole pairs = 256 examples'.",
    )

    # state, created_at, started_at, finished_at, celery_task_id, error, attempts: see Job.
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )

    # Progress (SearchProgress): the sums over its batches, updated while they run.

    summary = models.JSONField(default=dict, blank=True)

    class Meta(Job.Meta):
        constraints = [
            # One active run per configuration: a second start is refused by the database itself.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(state__in=["pending", "running"]),
                name="run_one_active_per_fingerprint",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} on {self.dataset} ({self.state})"


class RunBatch(Job, SearchProgress):
    """One batch of a run: an independent ICM search over whole consistency groups, with its own seed, Celery
    task, lease and checkpoint. The run is the sum of its batches (studio.services.runs.settling)."""

    class Phase(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        LOADING = "loading", "Loading the model"
        SEARCHING = "searching", "Searching"
        DONE = "done", "Done"

    created_by = None
    run = models.ForeignKey(ElicitationRun, on_delete=models.CASCADE, related_name="batches")
    index = models.PositiveIntegerField()
    example_ids = models.JSONField(default=list, help_text="The batch's examples (primary keys, in run order).")
    groups = models.PositiveIntegerField(default=0, help_text="Whole consistency groups in the batch.")
    seed = models.BigIntegerField(help_text="The batch's search seed, derived from the run's seed and the index.")
    oversized = models.BooleanField(default=False, help_text="One consistency group larger than the batch size.")
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.QUEUED)

    unlabeled_after_search = models.PositiveIntegerField(null=True, blank=True,
                                                         help_text="Left unlabeled by the search (before fill).")
    filled_count = models.PositiveIntegerField(default=0)
    checkpoint = models.JSONField(null=True, blank=True, help_text="The engine's serialized search state.")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="runbatch_one_per_index")]

    def __str__(self) -> str:
        return f"Batch {self.index} of run {self.run_id} ({self.state})"


class RunEvent(models.Model):
    """A progress sample from the engine (throttled), for the live curves."""

    run = models.ForeignKey(ElicitationRun, on_delete=models.CASCADE, related_name="events")
    batch = models.PositiveIntegerField(default=0, help_text="The batch's index; iteration counts within it.")
    iteration = models.PositiveIntegerField()
    energy = models.FloatField(null=True, blank=True)
    accepted_flips = models.PositiveIntegerField(default=0)
    inconsistencies = models.PositiveIntegerField(null=True, blank=True)
    labeled_count = models.PositiveIntegerField(default=0)
    true_count = models.PositiveIntegerField(default=0)
    false_count = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True, help_text="Against gold, for the study; the engine never sees it.")
    tokens = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "batch", "iteration", "id"]
        indexes = [models.Index(fields=["run", "batch", "iteration"], name="runevent_run_batch_iteration")]


class ElicitedLabel(models.Model):
    class Kind(models.TextChoices):
        ELICITED = "elicited", "Elicited (by the search)"
        FILLED = "filled", "Filled (predicted after the search)"
        UNLABELED = "unlabeled", "Unlabeled"

    run = models.ForeignKey(ElicitationRun, on_delete=models.CASCADE, related_name="labels")
    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="elicited_labels")
    label = models.BooleanField(null=True, blank=True, help_text="None: the search never labeled it.")
    score = models.FloatField(null=True, blank=True, help_text="Final leave-one-out log-odds.")
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.ELICITED,
        help_text="elicited: labeled by the ICM search; filled: the model's prediction after the search, with the "
        "search's labels as demonstrations (fill); unlabeled: neither.",
    )
    batch = models.PositiveIntegerField(default=0, help_text="The index of the run's batch that labeled it.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "example"], name="elicitedlabel_one_per_run_example")]
        # the disagreement table sorted by the model's confidence |score| (keyset pages walk this index)
        indexes = [models.Index(F("run"), Abs("score").desc(), F("example").desc(), name="elicitedlabel_confidence",
                                condition=Q(score__isnull=False))]
