"""A study: the paper's model-vs-people protocol over one dataset (Wen et al. 2025 §4.3) — which train
examples ICM labels, which train and test items people label (k each), the model and its settings, the
evaluation's repeats — and the ICM run and evaluation it started. Chosen once at creation (whole consistency
groups, seeded) and frozen, like a run's examples."""
from django.conf import settings as conf
from django.db import models


class Study(models.Model):
    class HumanCondition(models.TextChoices):
        PEOPLE = "people", "The studio's annotators label the study's items"
        CROWD = "crowd", "The dataset's imported crowd votes"

    name = models.CharField(max_length=200, unique=True)
    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="studies")
    template = models.CharField(max_length=40, help_text="The template it was made from (a preset's key, or custom).")
    design = models.CharField(max_length=20, default="paper",
                              help_text="The template's design its blank values took: paper or reduced.")
    train_split = models.CharField(max_length=20, default="train")
    test_split = models.CharField(max_length=20, default="test")
    human_condition = models.CharField(max_length=20, choices=HumanCondition.choices,
                                       default=HumanCondition.PEOPLE)

    icm_pool_size = models.PositiveIntegerField("ICM pool size", help_text="Examples requested for ICM (whole groups, never more).")
    icm_pool_seed = models.IntegerField("ICM pool seed", default=0)
    icm_pool_ids = models.JSONField("ICM pool ids", default=list, blank=True, help_text="Train example pks ICM labels.")
    people_train_size = models.PositiveIntegerField("people's train size", default=0)
    people_train_ids = models.JSONField(
        default=list, blank=True,
        help_text="Train example pks people label (inside the ICM pool: the same items get every condition's "
        "labels, so demonstrations are paired).")
    test_size = models.PositiveIntegerField()
    test_seed = models.IntegerField(default=0)
    test_ids = models.JSONField(default=list, blank=True, help_text="Test example pks (whole groups, with gold).")

    annotators_per_item = models.PositiveSmallIntegerField("annotators per item (k)", default=5, help_text="k: distinct people per item.")
    annotators = models.ManyToManyField(
        conf.AUTH_USER_MODEL, blank=True, related_name="studies",
        help_text="Who labels; none chosen = anyone who annotates the dataset.")

    model = models.CharField(max_length=500, default="smollm2")
    settings = models.JSONField("ICM settings", default=dict, blank=True, help_text="The ICM run's hyperparameters (as the run form).")
    repeats = models.PositiveSmallIntegerField(default=3, help_text="Evaluation repeats (demonstration draws).")

    labeling_open = models.BooleanField(default=False, help_text="The annotation queue serves the study's items.")
    labeling_opened_at = models.DateTimeField(null=True, blank=True)
    labeling_closed_at = models.DateTimeField(null=True, blank=True)

    run = models.ForeignKey("studio.ElicitationRun", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="studies")
    evaluation = models.ForeignKey("studio.Evaluation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="studies")
    adjudication = models.ForeignKey(
        "studio.Adjudication", null=True, blank=True, on_delete=models.SET_NULL, related_name="studies",
        help_text="Custom studies: the blind adjudication of where the ICM run and the people's majority disagree.")
    created_by = models.ForeignKey(conf.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="studies_created")
    created_at = models.DateTimeField(auto_now_add=True)
    facts = models.JSONField(default=dict, blank=True, editable=False,
                             help_text="What the study page shows that costs a pass over its items: the item sets "
                             "described and the ICM run's and evaluation's estimates, with when they were computed "
                             "(studio.services.studies.stored_facts).")

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"
        constraints = [
            # The queue serves one study's items at a time on a dataset.
            models.UniqueConstraint(fields=["dataset"], condition=models.Q(labeling_open=True),
                                    name="study_one_open_labeling_per_dataset"),
        ]

    # The item id lists (up to 100,000 ids each): pages that only count them defer them (services/studies/item_counts.py).
    ID_LISTS = ("icm_pool_ids", "people_train_ids", "test_ids")

    def __str__(self) -> str:
        return self.name

    @property
    def people_item_ids(self) -> list[int]:
        """What people label: the people's train items, then the test items."""
        if self.human_condition != self.HumanCondition.PEOPLE:
            return []
        return list(self.people_train_ids) + list(self.test_ids)


class StudyItem(models.Model):
    """One of a study's people items (its people's train items and its test items), with its unit: the pair's
    group on a comparison dataset (a pair counts once), else the example. Written when the study is created (its
    item sets never change), so "is this example one of the open study's items" is an index probe, not a pass
    over id lists of up to 200,000."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="+")
    unit = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "example"], name="study_item_once")]
        indexes = [models.Index(fields=["example", "study"], name="study_item_by_example"),
                   models.Index(fields=["study", "unit"], name="study_item_by_unit")]


class StudyTally(models.Model):
    """A study's labeling progress kept on write (studio.services.tallies.study_counts), like the dataset's
    tallies: ANNOTATOR (ref = user id): the units that person labeled; PEOPLE (ref = number of distinct people):
    the units labeled by exactly that many (0 included, so the histogram also counts the units)."""

    class Kind(models.IntegerChoices):
        ANNOTATOR = 1, "units one person labeled (ref = user id)"
        PEOPLE = 2, "units with exactly ref distinct people"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="tallies")
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    ref = models.BigIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "kind", "ref"], name="study_tally_one_per_cell")]
