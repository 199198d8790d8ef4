"""Studies in the Django admin: created through the same plan as the page and the API (plan_study: items chosen
from the template, every value checked, a bad one shown on its field); afterwards the chosen items are a record."""
from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from studio.models import Study
from studio.services import policies, studies

from .policy import PolicyAdmin

SIZES = ("icm_pool_size", "icm_pool_seed", "people_train_size", "test_size", "test_seed", "annotators_per_item",
         "repeats")


class StudyAddForm(forms.ModelForm):
    template = forms.ChoiceField(choices=[(t.key, t.title) for t in studies.TEMPLATES.values()])

    class Meta:
        model = Study
        fields = ["name", "dataset", "template", *SIZES, "annotators", "model", "settings"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SIZES:
            self.fields[name].required = False
            self.fields[name].help_text = "Blank = the template's value."
        self.fields["model"].required = False
        self.fields["settings"].required = False

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("dataset"):
            return data
        overrides = {name: data.get(name) for name in (*SIZES, "name", "model", "settings")}
        overrides["annotators"] = list(data.get("annotators") or [])
        try:
            self.plan = studies.plan_study(data["dataset"], data["template"],
                                           {k: v for k, v in overrides.items() if v not in (None, "", {})})
        except studies.StudyRefused as refusal:
            errors = {}
            for each in studies.errors_of(refusal):  # every bad value at once, each on its field
                errors.setdefault(each.field if each.field in self.fields else None, []).append(str(each))
            raise forms.ValidationError(errors) from None
        return data


ID_LISTS = Study.ID_LISTS


@admin.register(Study)
class StudyAdmin(PolicyAdmin):
    policy = policies.studies
    list_display = ["name", "dataset", "template", "annotators_per_item", "labeling_open", "run", "evaluation",
                    "created_at", "page"]
    list_filter = ["template", "dataset"]
    search_fields = ["name", "dataset__name"]
    list_select_related = ["dataset", "run", "evaluation"]
    filter_horizontal = ["annotators"]
    actions = ["start_icm", "start_evaluation"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StudyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return StudyAddForm.Meta.fields
        # the item id lists (up to 100,000 each) are counted here, listed on the study page and in the API
        return [f for f in super().get_fields(request, obj) if f not in ID_LISTS] + ["items"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        editable = {"name", "annotators", "repeats", "model", "settings"}
        return [f.name for f in Study._meta.fields if f.name not in editable and f.name not in ID_LISTS] + \
            ["page", "items"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*ID_LISTS)  # counted (item_counts.sizes), never shown

    @admin.display(description="items")
    def items(self, obj):
        n = studies.item_counts.sizes(obj)
        return (f"ICM pool {n['icm_pool_ids']:,}, people's train items {n['people_train_ids']:,}, "
                f"test items {n['test_ids']:,}")

    def save_model(self, request, obj, form, change):
        if not change:
            values = dict(form.plan)
            form.cleaned_data["annotators"] = values.pop("annotators")
            for name, value in values.items():
                setattr(obj, name, value)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="study page")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', reverse("studies:detail", args=[obj.pk])) if obj.pk else "–"

    def _start(self, request, queryset, step, what: str):
        """Start each chosen study's step; one estimated above STUDIO_CONFIRM_RUN_SECONDS is not started here
        (an admin action has no confirmation box): the message sends the admin to the study page, which asks."""
        for study in queryset:
            try:
                step(study, user=request.user, confirmed=False)
                self.message_user(request, f"{study.name}: {what} queued.", messages.SUCCESS)
            except studies.StudyNeedsConfirmation as needs:
                self.message_user(request, format_html(
                    '{}: not started. {} Confirm it on <a href="{}">the study page</a>.', study.name, str(needs),
                    reverse("studies:detail", args=[study.pk])), messages.WARNING)
            except studies.StudyRefused as refusal:
                self.message_user(request, f"{study.name}: {refusal}", messages.ERROR)

    @admin.action(description="Start the ICM run (asks on the study page when it is long)")
    def start_icm(self, request, queryset):
        self._start(request, queryset, studies.start_icm, "the ICM run is")

    @admin.action(description="Start the evaluation (asks on the study page when it is long)")
    def start_evaluation(self, request, queryset):
        self._start(request, queryset, studies.start_study_evaluation, "the evaluation is")
