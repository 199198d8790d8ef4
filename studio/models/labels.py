"""People's labels, skips, and the short-lived claims that keep two annotators off one example."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class HumanLabel(models.Model):
    class Source(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator in the studio"
        CROWD = "crowd", "Imported crowd vote"

    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="human_labels")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="labels"
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ANNOTATOR)
    crowd_voter = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Vote position for imported crowd votes (not a person)."
    )
    label = models.BooleanField()
    seconds_spent = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["annotator", "example"],
                condition=Q(annotator__isnull=False),
                name="humanlabel_one_per_annotator_example",
            ),
            models.UniqueConstraint(
                fields=["example", "crowd_voter"],
                condition=Q(source="crowd"),
                name="humanlabel_one_crowd_vote_per_position",
            ),
            models.CheckConstraint(
                condition=(Q(source="annotator", annotator__isnull=False, crowd_voter__isnull=True))
                | (Q(source="crowd", annotator__isnull=True, crowd_voter__isnull=False)),
                name="humanlabel_source_matches_author",
            ),
        ]
        indexes = [models.Index(fields=["example", "source"], name="humanlabel_example_source")]

    def __str__(self) -> str:
        who = self.annotator_id if self.annotator_id else f"crowd#{self.crowd_voter}"
        return f"{who} on {self.example_id}: {self.label}"


class Skip(models.Model):
    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="skips")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skips")
    seconds_spent = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["annotator", "example"], name="skip_one_per_annotator")]


class AnnotationClaim(models.Model):
    """An example handed to an annotator, reserved for them until expires_at."""

    example = models.ForeignKey("studio.Example", on_delete=models.CASCADE, related_name="claims")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims")
    claimed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["annotator", "example"], name="claim_one_per_annotator")]
