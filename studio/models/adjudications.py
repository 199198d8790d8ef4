"""Blind expert adjudication of where two label sources disagree: the adjudication (which pair of sources, which
split, the budget, the seed, the counts at opening) and its drawn items. An item's expert label is the "expert"
label source: it is never gold, never a person's vote (HumanLabel) and never reaches ICM."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Adjudication(models.Model):
    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="adjudications")
    split = models.CharField(max_length=20)
    source_a = models.CharField(max_length=50, help_text="Label source key (run:N, people, crowd, annotator:N).")
    source_b = models.CharField(max_length=50)
    name_a = models.CharField(max_length=200)
    name_b = models.CharField(max_length=200)
    budget = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    share_disagreements = models.FloatField(
        default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of the budget drawn from the disagreements; the rest from the agreements.")
    target_half_width = models.FloatField(
        default=0.05, validators=[MinValueValidator(0.001), MaxValueValidator(1.0)],
        help_text="The ± width (a share, 0.05 = 5 points) the admin wants for the difference.")
    seed = models.BigIntegerField(default=0)
    n_items = models.PositiveIntegerField(help_text="Items both sources label (N), at opening.")
    n_disagree = models.PositiveIntegerField(help_text="Items where they disagree (|D|), at opening.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(source_a=models.F("source_b")),
                                              name="adjudication_two_sources")]

    def __str__(self) -> str:
        return f"Adjudication {self.pk}: {self.name_a} vs {self.name_b} on {self.dataset} / {self.split}"


class AdjudicationItem(models.Model):
    """One draw: its stratum and weight, the two sources' labels at opening (admins only), and the expert's
    answer. `order` is the shuffled order in which adjudicators meet the items."""

    class Stratum(models.TextChoices):
        DISAGREE = "disagree", "Sources disagree"
        AGREE = "agree", "Sources agree"

    adjudication = models.ForeignKey(Adjudication, on_delete=models.CASCADE, related_name="items")
    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="adjudication_items")
    order = models.PositiveIntegerField()
    stratum = models.CharField(max_length=10, choices=Stratum.choices)
    weight = models.FloatField(help_text="Stratum size over its sample size.")
    label_a = models.BooleanField()
    label_b = models.BooleanField()
    expert_label = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)
    adjudicator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="adjudicated")
    labeled_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    claim_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["adjudication", "order"]
        constraints = [
            models.UniqueConstraint(fields=["adjudication", "example"], name="adjudicationitem_once"),
            models.UniqueConstraint(fields=["adjudication", "order"], name="adjudicationitem_order"),
        ]

    def __str__(self) -> str:
        return f"item {self.order} of adjudication {self.adjudication_id}"


class AdjudicationSkip(models.Model):
    item = models.ForeignKey(AdjudicationItem, on_delete=models.CASCADE, related_name="skips")
    adjudicator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "adjudicator"], name="adjudicationskip_once")]
