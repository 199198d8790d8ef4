"""Text as it is stored and as it goes into prompts.

Entities: posts scraped from the web carry HTML entities as literal text (614 of blog-gender's 5,000 posts
show "&nbsp;"). Every import (presets and users' files alike) decodes them in each text field (html.unescape,
once; a non-breaking space becomes a plain space) and keeps each changed field's original value in the
example's fields under RAW_KEY: {"post_a": "<the text as the file had it>"}. Nothing displays RAW_KEY (it is not
a display field) and prompt templates cannot name it.

Length: Dataset.max_chars (blank = no limit) cuts each field longer than it at the last word boundary before
the limit and marks the cut with CUT_MARK, when the prompt is rendered. Annotators read the fields, whole.
"""
import html
import re

from .errors import ImportFailed

RAW_KEY = "raw_before_entity_decoding"
CUT_MARK = " […]"
MIN_MAX_CHARS = 20  # below this a cut leaves nothing to read
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def decode_entities(text: str) -> str:
    if "&" not in text or not _ENTITY.search(text):
        return text
    return html.unescape(text).replace("\xa0", " ")


def decode_fields(fields: dict) -> dict:
    """The fields with entities decoded in every text value; originals of changed ones under RAW_KEY."""
    if RAW_KEY in fields:
        raise ImportFailed(f"{RAW_KEY!r} is reserved for the text as imported; name the field otherwise", field=RAW_KEY)
    out, raw = {}, {}
    for name, value in fields.items():
        if isinstance(value, str):
            decoded = decode_entities(value)
            if decoded != value:
                raw[name] = value
            value = decoded
        out[name] = value
    if raw:
        out[RAW_KEY] = raw
    return out


def check_max_chars(value) -> int | None:
    """None (no limit) or a whole number of characters >= MIN_MAX_CHARS; ImportFailed naming the field otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_MAX_CHARS:
        raise ImportFailed(f"max_chars must be a whole number of characters, at least {MIN_MAX_CHARS}, or blank for "
                           f"no limit; got {value!r}", field="max_chars")
    return value


def cut(text: str, max_chars: int | None) -> str:
    """`text` if it is at most max_chars long; else its start, ended at a word boundary, plus CUT_MARK (the whole
    result at most max_chars + len(CUT_MARK))."""
    if not max_chars or len(text) <= max_chars:
        return text
    head = text[:max_chars]
    if not text[max_chars].isspace():  # the limit falls inside a word: drop that word
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > max_chars // 2:  # one huge "word" (a URL): cut it rather than lose half the text
            head = head[:space]
    return head.rstrip() + CUT_MARK
