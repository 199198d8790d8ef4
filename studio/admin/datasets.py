from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from studio.models import Dataset, Example, GoldLabel, Membership
from studio.services import import_jobs, policies
from studio.services.importing import FORMATS, ImportFailed, detect_format
from studio.services.importing.limits import size_text
from studio.services.importing.rerender import check_prompt_settings, rerender_prompts
from studio.services.importing.text import MIN_MAX_CHARS
from studio.services.refusals import Refusal
from studio.views.refusals import form_error

from .policy import PolicyAdmin


class DatasetImportForm(forms.Form):
    """Upload a JSON array / JSONL / CSV / TSV file and say which columns are what."""

    file = forms.FileField(help_text="JSON array of objects, JSON lines, CSV or TSV (UTF-8, header line for CSV/TSV).")
    name = forms.CharField(max_length=200, help_text="The new dataset's name.")
    fmt = forms.ChoiceField(label="Format", required=False, choices=[("", "From the file name / content")]
                            + [(f, f.upper()) for f in FORMATS])
    fields = forms.CharField(
        label="Content fields", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="One name=column per line or comma-separated, e.g. text=review. These are what annotators and "
        "the prompt see; columns not named anywhere are not imported.",
    )
    id_column = forms.CharField(required=False, help_text="Column with a unique id (default: the row number).")
    label_column = forms.CharField(required=False, label="Gold label column",
                                   help_text="true/false/1/0; kept apart from everything annotators and the model see.")
    group_column = forms.CharField(required=False, label="Consistency group column")
    key_column = forms.CharField(required=False, label="Consistency key column")
    split_column = forms.CharField(required=False, help_text="Column naming each row's split (e.g. train/test).")
    human_label_column = forms.CharField(required=False, label="Crowd votes column",
                                         help_text="Votes from people outside the studio: a boolean or a list of them.")
    split = forms.CharField(initial="train", max_length=20, label="Default split",
                            help_text="For rows without a split column.")
    task_type = forms.ChoiceField(choices=Dataset.TaskType.choices, initial=Dataset.TaskType.CLAIM)
    consistency = forms.ChoiceField(choices=Dataset.Consistency.choices, initial=Dataset.Consistency.NONE)
    prompt_template = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Python format string over the content fields, e.g. \"Review: {text}\\nClaim: ...\\nI think this "
        "claim is\". Blank: one 'Name: {name}' line per field, then 'I think this claim is'.",
    )
    question = forms.CharField(required=False, max_length=500, help_text="The question annotators answer True/False.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    source_credit = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                                    help_text="Origin, credit and license of the data.")
    max_chars = forms.IntegerField(required=False, min_value=MIN_MAX_CHARS, label="Max characters in prompts",
                                   help_text=Dataset._meta.get_field("max_chars").help_text)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ADMIN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {size_text(upload.size)}; this form takes at most {size_text(limit)} "
                "(setting ADMIN_IMPORT_MAX_BYTES). Import larger files with `manage.py import_dataset`.")
        return upload

    def file_format(self) -> str:
        data = self.cleaned_data
        if data["fmt"]:
            return data["fmt"]
        upload = data["file"]
        upload.seek(0)
        head = upload.read(64 * 1024)
        upload.seek(0)
        return detect_format(upload.name or "", head)

    def mapping(self) -> dict:
        data = self.cleaned_data
        mapping = {}
        for item in data["fields"].replace("\n", ",").split(","):
            if item.strip():
                name, sep, column = item.partition("=")
                if name.strip() in mapping:
                    raise ImportFailed(f"{name.strip()!r} is mapped twice", field="mapping")
                mapping[name.strip()] = column.strip() if sep else ""
        for reserved in ("id", "label", "group", "key", "split", "human_label"):
            if data.get(f"{reserved}_column"):
                mapping[reserved] = data[f"{reserved}_column"].strip()
        return mapping


class DatasetForm(forms.ModelForm):
    """The dataset's change form: a new prompt template or max_chars is checked against its examples' fields."""

    class Meta:
        model = Dataset
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if self.instance.pk and {"prompt_template", "max_chars"} & set(self.changed_data) and "prompt_template" in data:
            try:
                check_prompt_settings(self.instance, data["prompt_template"], data.get("max_chars"))
            except ImportFailed as e:
                self.add_error(e.field if e.field in ("prompt_template", "max_chars") else None, e.message)
        return data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Dataset)
class DatasetAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["name", "preset", "task_type", "consistency", "example_count", "annotation_overlap",
                    "gold_derived_metadata", "created_at"]
    list_filter = ["task_type", "consistency", "preset", "gold_derived_metadata"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    form = DatasetForm
    change_list_template = "admin/studio/dataset/change_list.html"

    def get_urls(self):
        extra = [path("import/", self.admin_site.admin_view(self.import_view), name="studio_dataset_import")]
        return extra + super().get_urls()

    def import_view(self, request):
        """Upload a file with a field mapping. It is queued as an import job, as over the API (a big file is not
        imported inside the request); the job's admin page shows its state, and a failure's row and field."""
        if not policies.imports.can_import(request.user):
            raise PermissionDenied
        form = DatasetImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                options = {
                    "mapping": form.mapping(), "task_type": data["task_type"], "consistency": data["consistency"],
                    "split": data["split"], "prompt_template": data["prompt_template"].replace("\r\n", "\n"),
                    "question": data["question"], "description": data["description"],
                    "source_credit": data["source_credit"], "max_chars": data["max_chars"],
                }
                job = import_jobs.create_job(request.user, data["file"], name=data["name"], fmt=form.file_format(),
                                             options=options)
            except Refusal as refusal:  # its field is a column of the file, not one of this form's
                form_error(form, refusal, "Nothing was imported. ", on_field=False)
            else:
                self.message_user(request, f"Import job #{job.pk} for {job.name!r} is queued; this page shows its "
                                  "state (reload it to follow).", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:studio_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a dataset from a file",
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/studio/dataset/import_form.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"prompt_template", "max_chars"} & set(form.changed_data):
            n = rerender_prompts(obj)  # stored prompts follow the new template / limit (runs read them)
            self.message_user(request, f"{n:,} prompt(s) rendered again with the new settings.", messages.INFO)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_examples=Count("examples"))

    @admin.display(description="examples", ordering="_examples")
    def example_count(self, obj):
        return obj._examples


class GoldInline(admin.StackedInline):
    model = GoldLabel
    extra = 0


@admin.register(Example)
class ExampleAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["external_id", "dataset", "split", "group", "key", "position"]
    list_filter = ["dataset", "split"]
    search_fields = ["external_id", "prompt", "group"]
    list_select_related = ["dataset"]
    raw_id_fields = ["dataset"]
    inlines = [GoldInline]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(PolicyAdmin):
    policy = policies.datasets
    list_display = ["user", "dataset", "role", "created_at"]
    list_filter = ["role", "dataset"]
    search_fields = ["user__username", "dataset__name"]
    autocomplete_fields = ["user"]
