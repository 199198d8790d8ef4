"""Dataset import: bundled presets and users' own JSON / JSONL / CSV files. Atomic and streaming.

Contract (docs/CONTRACTS.md): ImportFailed, import_preset(name, *, keys=None, stdout=None),
import_file(fileobj_or_path, *, name, fmt, mapping, ...).
"""
from .errors import DatasetExists, ImportFailed
from .files import import_file
from .mapping import FieldMapping, parse_mapping
from .preset_import import get_preset, import_preset
from .readers import FORMATS, detect_format

__all__ = [
    "FORMATS",
    "DatasetExists",
    "FieldMapping",
    "ImportFailed",
    "detect_format",
    "get_preset",
    "import_file",
    "import_preset",
    "parse_mapping",
]
