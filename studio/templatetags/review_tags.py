"""Formatting for the review pages: percentages, intervals, kappas, and a heat colour for agreement cells."""
from django import template

register = template.Library()
DASH = "—"


@register.filter
def pct(value, digits=1):
    if value is None or value == "":
        return DASH
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def ci(acc):
    """An accuracy record's 95% interval in points: "[74.4, 81.8]"."""
    if not acc or acc.get("ci_low") is None:
        return ""
    return f"[{100 * acc['ci_low']:.1f}, {100 * acc['ci_high']:.1f}]"


@register.filter
def points(value):
    """A difference of proportions in percentage points, signed: "+12.0"."""
    if value is None or value == "":
        return DASH
    return f"{100 * float(value):+.1f}"


@register.filter
def pvalue(value):
    if value is None or value == "":
        return DASH
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


@register.filter
def num(value, digits=3):
    if value is None:
        return DASH
    return f"{float(value):.{int(digits)}f}"


@register.filter
def heat(value):
    """Background for a kappa cell: blue for agreement, red for worse than chance."""
    if value is None:
        return "background:#f3f4f6"
    v = max(-1.0, min(1.0, float(value)))
    return f"background:rgba(36,84,214,{0.08 + 0.6 * v:.2f})" if v >= 0 else f"background:rgba(192,57,43,{0.08 + 0.6 * -v:.2f})"


@register.filter
def label_word(value):
    return DASH if value is None else ("True" if value else "False")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
