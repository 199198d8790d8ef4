"""Importing a bundled preset (studio.services.importing.presets.PRESETS)."""
from django.db import IntegrityError, transaction

from studio.models import Dataset

from .errors import DatasetExists, ImportFailed
from .presets import PRESET_DATA_DIR, PRESETS
from .text import check_max_chars
from .writer import create_dataset, write_rows


def get_preset(name: str, keys: str | None = None):
    spec = PRESETS.get(name)
    if spec is None:
        raise ImportFailed(f"unknown preset {name!r}: the presets are {', '.join(PRESETS)}", field="preset")
    if keys and keys not in spec.key_variants:
        offered = ", ".join(spec.key_variants) or "none"
        raise ImportFailed(f"preset {name!r} has no key variant {keys!r} (variants: {offered})", field="keys")
    return spec


KEEP = object()  # max_chars: the preset's own default


def import_preset(name: str, *, keys: str | None = None, stdout=None, skip_existing: bool = False,
                  max_chars=KEEP) -> Dataset:
    """Load a preset into a new Dataset. A preset (variant) already in the database is refused, or with
    skip_existing returned as it is. `max_chars` overrides the preset's prompt text limit (None: no limit)."""
    spec = get_preset(name, keys)
    attrs = spec.dataset_attrs(keys)
    if max_chars is not KEEP:
        attrs["max_chars"] = check_max_chars(max_chars)
    title = spec.dataset_title(keys)
    existing = Dataset.objects.filter(name=title).first()
    if existing is not None and existing.preset != name:
        raise DatasetExists(
            f"a dataset named {title!r} (id {existing.pk}) that did not come from preset {name!r} already exists; "
            "rename it to import the preset",
            existing,
        )
    if existing is not None:
        if skip_existing:
            if stdout is not None:
                stdout.write(f"Preset {name!r} is already imported as {title!r} (id {existing.pk}); skipped.\n")
            return existing
        raise DatasetExists(
            f"preset {name!r} is already imported as {title!r} (id {existing.pk}); delete that dataset first, "
            "or pass --skip-existing",
            existing,
        )
    for relative in spec.files:
        if not (PRESET_DATA_DIR / relative).is_file():
            raise ImportFailed(f"the preset's data file is missing: {PRESET_DATA_DIR / relative}")
    try:
        with transaction.atomic():
            dataset = create_dataset(name=title, **attrs)
            counts = write_rows(dataset, spec.build(PRESET_DATA_DIR, keys))
    except IntegrityError:
        # Another process imported it between our check and our insert.
        raise DatasetExists(f"preset {name!r} was imported as {title!r} by someone else just now") from None
    if stdout is not None:
        flag = " [gold-derived consistency keys]" if dataset.gold_derived_metadata else ""
        stdout.write(f"Imported preset {name!r} as {title!r}{flag}: {counts.summary()}.\n")
    dataset.import_counts = counts
    return dataset
