"""A dataset's guidelines: Markdown rendered to HTML with raw HTML escaped and unsafe links dropped."""
import html
import re

import markdown
from django.utils.safestring import SafeString, mark_safe
from markdown.treeprocessors import Treeprocessor

# http(s), mailto, a fragment, a path on this site ("/x", never "//host"), or a relative path ("x/y"; it must
# start with a character other than / so "//host" cannot slip through as "relative").
SAFE_URL = re.compile(r"^(https?:|mailto:|#|/(?!/)|[^:/?#]+(?:[/?#]|$)|$)", re.IGNORECASE)


def _is_safe_url(value: str) -> bool:
    # As the browser will read it: entities decoded (java&#115;cript:), whitespace and control characters gone.
    # Browsers read a backslash in a URL as a slash: /\host and \\host are //host (another site).
    plain = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(value)).replace("\\", "/")
    return bool(SAFE_URL.match(plain))


class _DropUnsafeLinks(Treeprocessor):
    def run(self, root):
        for element in root.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is not None and not _is_safe_url(value):
                    del element.attrib[attr]
            for attr in list(element.attrib):
                if attr.lower().startswith("on"):
                    del element.attrib[attr]


def render_guidelines(text: str) -> SafeString:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    # Raw HTML in the source is shown as text, not passed through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_DropUnsafeLinks(md), "drop_unsafe_links", 0)
    return mark_safe(md.convert(text or ""))  # noqa: S308 - escaped above
