from django.contrib import admin

from studio.models import AnnotationClaim, HumanLabel, Skip
from studio.services import policies

from .policy import PolicyAdmin


@admin.register(HumanLabel)
class HumanLabelAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["example", "annotator", "source", "crowd_voter", "label", "seconds_spent", "created_at"]
    list_filter = ["source", "label", "example__dataset"]
    search_fields = ["annotator__username", "example__external_id"]
    raw_id_fields = ["example", "annotator"]
    list_select_related = ["example", "annotator"]
    show_full_result_count = False


@admin.register(Skip)
class SkipAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["example", "annotator", "created_at"]
    list_filter = ["example__dataset"]
    raw_id_fields = ["example", "annotator"]


@admin.register(AnnotationClaim)
class AnnotationClaimAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["example", "annotator", "claimed_at", "expires_at"]
    raw_id_fields = ["example", "annotator"]
