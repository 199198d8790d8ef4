"""`import_dataset PRESET` loads a bundled preset; `import_dataset FILE --name NAME --map ...` a user's file."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studio.models import Dataset
from studio.services.importing import FORMATS, import_file, import_preset
from studio.services.importing.presets import PRESETS
from studio.services.refusals import Refusal

FILE_OPTIONS = ("name", "map", "format", "task_type", "consistency", "split", "prompt_template", "question",
                "description", "display_fields", "true_word", "false_word", "source_credit")


def _unescape(text: str | None) -> str | None:
    """Let a shell argument spell a newline or tab as \\n or \\t."""
    return text.replace("\\n", "\n").replace("\\t", "\t") if text else text


class Command(BaseCommand):
    help = (
        "Import a bundled preset (" + ", ".join(PRESETS) + ") or your own JSON array / JSONL / CSV / TSV file "
        "with a field mapping. All or nothing: a bad row imports nothing and the error names the row and field."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="a preset name or a file path")
        parser.add_argument("--list", action="store_true", help="list the presets and exit")
        preset = parser.add_argument_group("presets")
        preset.add_argument("--keys", help="alternative consistency keys; truthfulqa: 'official' (gold-derived)")
        preset.add_argument("--skip-existing", action="store_true",
                            help="do nothing (instead of failing) when the preset is already imported")
        parser.add_argument("--max-chars", type=int, metavar="N",
                            help="cut each field's text in prompts at N characters (a word boundary, marked \" […]\"); "
                                 "0 = no limit. Default: the preset's (blog-gender: 600), none for files")
        own = parser.add_argument_group("your own file")
        own.add_argument("--name", help="the new dataset's name")
        own.add_argument("--map", action="append", metavar="NAME=COLUMN,...",
                         help="field mapping: id=, label= (gold), group=, key=, split=, human_label= (crowd votes), "
                              "and any other NAME=COLUMN as a content field, e.g. --map text=review,label=stars_ok "
                              "(repeatable)")
        own.add_argument("--format", choices=FORMATS, help="default: from the extension, else sniffed")
        own.add_argument("--task-type", choices=Dataset.TaskType.values, help="default claim")
        own.add_argument("--consistency", choices=Dataset.Consistency.values, help="default none")
        own.add_argument("--split", help="split for rows without a split column (default train)")
        own.add_argument("--prompt-template", help="format string over the content fields; \\n means a newline. "
                                                   "Default: one 'Name: {name}' line per field + 'I think this claim is'")
        own.add_argument("--question", help="the question annotators answer with True/False")
        own.add_argument("--description")
        own.add_argument("--display-fields", help="comma-separated content fields annotators see (default: all)")
        own.add_argument("--true-word", help="default ' True'")
        own.add_argument("--false-word", help="default ' False'")
        own.add_argument("--source-credit", help="origin, credit and license of the data")

    def handle(self, *args, source, list, keys, skip_existing, max_chars, **options):
        if list or not source:
            for name, spec in PRESETS.items():
                self.stdout.write(f"{name:<24} {spec.title}")
            if not source and not list:
                raise CommandError("give a preset name or a file path (presets listed above)")
            return
        given = [o for o in FILE_OPTIONS if options.get(o) is not None]
        try:
            if source in PRESETS:
                if given:
                    raise CommandError(f"--{given[0].replace('_', '-')} is for your own files, not presets")
                extra = {} if max_chars is None else {"max_chars": max_chars or None}
                import_preset(source, keys=keys, stdout=self.stdout, skip_existing=skip_existing, **extra)
            elif Path(source).exists():
                if keys:
                    raise CommandError("--keys is for presets")
                if not options["name"]:
                    raise CommandError("--name is required when importing a file")
                if not options["map"]:
                    raise CommandError("--map is required when importing a file, e.g. --map id=id,text=text,label=label")
                display = [f.strip() for f in options["display_fields"].split(",")] if options["display_fields"] else None
                import_file(
                    source, name=options["name"], fmt=options["format"], mapping=options["map"],
                    task_type=options["task_type"] or "claim", consistency=options["consistency"] or "none",
                    split=options["split"] or "train", prompt_template=_unescape(options["prompt_template"]),
                    question=options["question"] or "", description=options["description"] or "",
                    display_fields=display, true_word=options["true_word"] or " True",
                    false_word=options["false_word"] or " False", source_credit=options["source_credit"] or "",
                    max_chars=max_chars or None, stdout=self.stdout,
                )
            else:
                raise CommandError(f"{source!r} is neither a preset ({', '.join(PRESETS)}) nor an existing file")
        except Refusal as refusal:
            raise CommandError(f"Import refused, nothing was imported: {refusal}") from None
