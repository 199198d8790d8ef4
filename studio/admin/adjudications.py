"""Adjudications in the Django admin: a record to read (and delete). They are opened where the sample is drawn
— the review dashboard, POST /api/adjudications/ or `manage.py open_adjudication` — never added here, since an
adjudication without its seeded draws would estimate nothing."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from studio.models import Adjudication, AdjudicationItem
from studio.services import adjudication, policies

from .policy import PolicyAdmin


class ItemInline(admin.TabularInline):
    model = AdjudicationItem
    fields = ["order", "example", "stratum", "weight", "label_a", "label_b", "expert_label", "adjudicator",
              "labeled_at", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Adjudication)
class AdjudicationAdmin(PolicyAdmin):
    policy = policies.adjudications
    list_display = ["id", "dataset", "split", "name_a", "name_b", "budget", "n_items", "n_disagree", "created_at"]
    list_filter = ["dataset"]
    readonly_fields = ["dataset", "split", "source_a", "source_b", "name_a", "name_b", "budget", "share_disagreements",
                       "target_half_width", "seed", "n_items", "n_disagree", "created_by", "created_at", "estimate"]
    fields = readonly_fields
    inlines = [ItemInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Estimate")
    def estimate(self, obj):
        url = reverse("review:dashboard", args=[obj.dataset.slug]) + f"?split={obj.split}"
        return format_html('{} <a href="{}">dashboard</a>', adjudication.result(obj)["verdict"], url)
