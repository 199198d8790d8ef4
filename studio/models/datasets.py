"""Datasets and their examples. Gold labels live in their own table (GoldLabel), so nothing that
serializes or renders an Example can carry gold by accident."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast, Greatest


class Dataset(models.Model):
    class TaskType(models.TextChoices):
        CLAIM = "claim", "A claim answering a question"
        COMPARISON = "comparison", "A comparison of two texts"
        TEXT = "text", "A claim about one text"

    class Consistency(models.TextChoices):
        NONE = "none", "No consistency rules"
        KEYS = "keys", "Same key ⇒ same label; different keys ⇒ not both true"
        COMPARISON = "comparison", "A>B and B>A: exactly one is true"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    preset = models.CharField(max_length=50, blank=True, help_text="The bundled preset it came from, if any.")
    task_type = models.CharField(max_length=20, choices=TaskType.choices, default=TaskType.CLAIM)
    consistency = models.CharField(max_length=20, choices=Consistency.choices, default=Consistency.NONE)
    description = models.TextField(blank=True)
    question = models.CharField(
        max_length=500, blank=True, help_text="The question annotators answer with True or False."
    )
    guidelines = models.TextField(blank=True, help_text="Markdown shown to annotators before they start.")
    prompt_template = models.TextField(help_text="Python format string over the example's fields.")
    true_word = models.CharField(max_length=50, default=" True")
    false_word = models.CharField(max_length=50, default=" False")
    display_fields = models.JSONField(
        default=list, blank=True, help_text="Example fields shown to annotators, in order."
    )
    gold_derived_metadata = models.BooleanField(
        default=False,
        help_text="Consistency keys were built from gold labels (the official code's TruthfulQA keys). "
        "Runs on it leak the answer: for replicating the paper only.",
    )
    source = models.TextField(blank=True, help_text="Origin, credit and license of the data.")
    zero_shot_preamble = models.TextField(
        blank=True, help_text="Text put before each test prompt in evaluations' zero-shot conditions, e.g. a "
        "helpful-honest-harmless assistant prompt. Many-shot prompts do not get it.")
    max_chars = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20)],
        help_text="Longest text of one field in a prompt, in characters: longer ones are cut at a word boundary "
        "and end in \" […]\". Blank = no limit. Annotators always see the whole text.",
    )
    # Annotation queue settings.
    annotation_overlap = models.PositiveSmallIntegerField(
        default=1, help_text="How many distinct annotators should label each example."
    )
    annotation_split = models.CharField(max_length=20, blank=True, help_text="Split to annotate; blank = all.")
    MAX_CLAIM_TTL_SECONDS = 86400  # a day; far larger values overflowed the claim's expiry date (a 500)
    claim_ttl_seconds = models.PositiveIntegerField(
        default=600, validators=[MinValueValidator(1), MaxValueValidator(MAX_CLAIM_TTL_SECONDS)],
        help_text="How long an example handed to an annotator stays reserved for them (1 second to 1 day).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Example(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="examples")
    external_id = models.CharField(max_length=200)
    split = models.CharField(max_length=20, default="train")
    position = models.PositiveIntegerField(help_text="Stable order within the dataset.")
    fields = models.JSONField(default=dict, help_text="The example's content. Never holds gold.")
    prompt = models.TextField(help_text="The rendered prompt the model sees.")
    group = models.CharField(max_length=200, blank=True, help_text="Consistency group.")
    key = models.CharField(max_length=200, blank=True, help_text="Consistency key inside the group.")
    # The example's votes, kept exact on write by studio.services.tallies (in the label's transaction): the
    # queue finds work and the review pages sort and filter through these instead of counting votes.
    people_true = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    people_false = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    crowd_true = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    crowd_false = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    people_votes = models.GeneratedField(
        expression=F("people_true") + F("people_false"), output_field=models.PositiveIntegerField(), db_persist=True
    )
    # Share of annotators voting with the majority; -1 without votes (the disagreement table's agreement key).
    people_agreement = models.GeneratedField(
        expression=Case(
            When(Q(people_true__gt=0) | Q(people_false__gt=0), then=Cast(Greatest("people_true", "people_false"), FloatField())
                 / Cast(F("people_true") + F("people_false"), FloatField())),
            default=Value(-1.0), output_field=FloatField()),
        output_field=FloatField(), db_persist=True,
    )

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "external_id"], name="example_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["dataset", "split", "position"], name="example_split_position"),
            models.Index(fields=["dataset", "group"], name="example_group"),
            # the queue: closest to done first, then position (per split, and over every split)
            models.Index(fields=["dataset", "split", "-people_votes", "position"], name="example_queue_split"),
            models.Index(fields=["dataset", "-people_votes", "position"], name="example_queue_all"),
            # the disagreement table sorted by the people's agreement (keyset pages)
            models.Index(fields=["dataset", "split", "-people_agreement", "-id"], name="example_agreement"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.external_id}"


class GoldLabel(models.Model):
    """The reference label. Read only by metrics, review pages and admin exports."""

    example = models.OneToOneField(Example, on_delete=models.CASCADE, primary_key=True, related_name="gold")
    label = models.BooleanField()

    def __str__(self) -> str:
        return f"gold({self.example_id})={self.label}"
