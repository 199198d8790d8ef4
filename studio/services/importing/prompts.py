"""Prompt templates: Python format strings over an example's fields (Dataset.prompt_template)."""
import string

from .errors import ImportFailed
from .text import RAW_KEY, cut

CLAIM_ENDING = "I think this claim is"


def template_fields(template: str) -> list[str]:
    """The field names a template uses; refuses anything but plain {name} placeholders."""
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise ImportFailed(f"the prompt template is not a valid format string: {e} "
                           "(write a literal brace as {{ or }})", field="prompt_template") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or name == RAW_KEY:
            raise ImportFailed(
                f"the prompt template may only use plain field names like {{text}}, got {{{name}}}",
                field="prompt_template",
            )
        if spec or conversion:
            raise ImportFailed(f"the prompt template's {{{name}}} may not have a format spec or conversion",
                               field="prompt_template")
        names.append(name)
    if not names:
        raise ImportFailed("the prompt template uses no field: it would give every example the same prompt",
                           field="prompt_template")
    return names


def default_template(field_names: list[str]) -> str:
    """One "Name: {name}" line per field, then the official code's ending."""
    lines = [f"{name.replace('_', ' ').capitalize()}: {{{name}}}" for name in field_names]
    return "\n".join(lines) + "\n" + CLAIM_ENDING


def check_template(template: str, available: list[str]) -> None:
    for name in template_fields(template):
        if name not in available:
            raise ImportFailed(
                f"the prompt template uses {{{name}}}, which is not a mapped field (fields: {', '.join(available)})",
                field="prompt_template",
            )


def render(template: str, fields: dict, max_chars: int | None = None) -> str:
    """The prompt: `template` over the fields, each text field cut to `max_chars` (text.cut; None: whole)."""
    if max_chars:
        fields = {k: cut(v, max_chars) if isinstance(v, str) else v for k, v in fields.items()}
    return template.format_map(fields)
