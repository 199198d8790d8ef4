from django.contrib import admin
from django.db.models import Count

from studio.models import Dataset, Example, GoldLabel, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "preset", "task_type", "consistency", "example_count", "annotation_overlap",
                    "gold_derived_metadata", "created_at"]
    list_filter = ["task_type", "consistency", "preset", "gold_derived_metadata"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_examples=Count("examples"))

    @admin.display(description="examples", ordering="_examples")
    def example_count(self, obj):
        return obj._examples


class GoldInline(admin.StackedInline):
    model = GoldLabel
    extra = 0


@admin.register(Example)
class ExampleAdmin(admin.ModelAdmin):
    list_display = ["external_id", "dataset", "split", "group", "key", "position"]
    list_filter = ["dataset", "split"]
    search_fields = ["external_id", "prompt", "group"]
    list_select_related = ["dataset"]
    raw_id_fields = ["dataset"]
    inlines = [GoldInline]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "dataset", "role", "created_at"]
    list_filter = ["role", "dataset"]
    search_fields = ["user__username", "dataset__name"]
    autocomplete_fields = ["user"]
