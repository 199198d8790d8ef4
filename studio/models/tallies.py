"""Counts over a dataset's split that the review dashboard and the labeling page read instead of passing over
every vote. Kept exact on write by studio.services.tallies (in the transaction that changes a label); the
`recount_tallies` command recounts them from scratch and reports any difference.

A row is one cell, identified by (dataset, split, a, b) where a source is (kind, ref):
- a source cell: b_kind = NONE; n = the split's examples where source a says a_label;
- a pair cell: a < b (by (kind, ref)); n = examples where a says a_label and b says b_label;
- a vote histogram cell: a_kind = VOTES_PEOPLE / VOTES_CROWD, a_ref = False votes, b_ref = True votes
  (b_kind NONE, labels False); n = examples with exactly those votes (0 / 0 included, so the people's
  histogram also counts the split's examples);
- the people's filter (the dashboard's "annotators with at least N labels", N = REVIEW_MIN_ANNOTATOR_LABELS):
  source QUALIFIED (ref = N) and histogram VOTES_QUALIFIED count only the votes of annotators with at least N
  labels in the split; an annotator crossing N adds their votes once (studio.services.tallies.keeping).
"""
from django.db import models


class Tally(models.Model):
    class Kind(models.IntegerChoices):
        NONE = 0, "none"
        GOLD = 1, "gold"
        RUN = 2, "ICM run (ref = run id)"
        PEOPLE = 3, "people's majority"
        CROWD = 4, "crowd votes' majority"
        ANNOTATOR = 5, "one annotator (ref = user id)"
        CROWD_VOTER = 6, "one crowd vote position (ref = position; counted, never paired)"
        VOTES_PEOPLE = 7, "histogram of annotator votes"
        VOTES_CROWD = 8, "histogram of crowd votes"
        QUALIFIED = 9, "people's majority among annotators with at least ref labels in the split"
        VOTES_QUALIFIED = 10, "histogram of the votes of annotators with at least the minimum labels"
        RUN_FILLED = 11, "an ICM run's filled labels only (ref = run id): the dashboard's by-kind rows"
        UNIT_VOTE = 12, "one annotator's vote on a comparison pair, implied votes included (ref = user id; pairs only)"

    dataset = models.ForeignKey("studio.Dataset", on_delete=models.CASCADE, related_name="+")
    split = models.CharField(max_length=20)
    a_kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    a_ref = models.BigIntegerField(default=0)
    a_label = models.BooleanField(default=False)
    b_kind = models.PositiveSmallIntegerField(choices=Kind.choices, default=0)
    b_ref = models.BigIntegerField(default=0)
    b_label = models.BooleanField(default=False)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "split", "a_kind", "a_ref", "a_label", "b_kind", "b_ref", "b_label"],
                name="tally_one_per_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}/{self.split} ({self.a_kind},{self.a_ref},{self.a_label}) " \
               f"({self.b_kind},{self.b_ref},{self.b_label}) = {self.n}"
