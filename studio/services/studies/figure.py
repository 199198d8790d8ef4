"""The study's figure as plain SVG, drawn by hand: one row per annotator (a dot), the people's majority and each
condition (a bar), every row with its 95% interval (a whisker) and n; a linear accuracy axis from 0 to 100%.
Label widths are measured generously (character count × a wide glyph), so no label is cut. The page turns the
same SVG into a PNG in the browser (a canvas), so both downloads show one drawing."""
from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

FONT = 13
CHAR_W = 0.62 * FONT      # wider than the average glyph of the sans-serif font: labels are never cut
ROW_H = 26
PLOT_W = 420
PAD = 16
COLORS = {"annotator": "#6b7280", "people": "#b26a00", "condition": "#2454d6", "gold": "#1f8a4c", "icm": "#c0392b"}


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _n_text(row: dict) -> str:
    """'n = 4 pairs', '8 demos', '1 tie': the row's n with its unit, its demonstrations per repeat, its ties."""
    unit = row.get("unit")
    unit = unit.split(" (")[0] if unit else ""
    text = f"n = {row.get('n') or 0}" + (f" {unit}" if unit else "")
    if row.get("demonstrations"):
        text += f", {row['demonstrations']} demos/repeat"
    if row.get("n_train"):
        text += f", trained on {row['n_train']}"
    if row.get("ties"):
        text += f", {row['ties']} tie{'s' if row['ties'] != 1 else ''} left out"
    return text


def _value_text(row: dict) -> str:
    if row.get("accuracy") is None:
        return f"no data ({_n_text(row)})"
    return f"{_pct(row['accuracy'])} [{_pct(row.get('ci_low'))}–{_pct(row.get('ci_high'))}], {_n_text(row)}"


def _notes(data: dict) -> list[str]:
    """The caption under the verdict: the design, the people's ties, each source's broken pairs."""
    notes = [data["caption"]] if data.get("caption") else []
    ties = data.get("people_train_ties") or {}
    if ties.get("units"):
        notes.append(f"People's train items: {ties['ties']} of {ties['units']} tied (no majority: no people's "
                     "demonstration for them).")
    broken = data.get("broken_pairs") or {}
    if broken:
        notes.append("Broken pairs (both orders given the same label): " + "; ".join(
            f"{'ICM' if k == 'icm' else k} {v['broken']} of {v['pairs']}" for k, v in broken.items()) + ".")
    return notes


def _color(row: dict) -> str:
    return COLORS.get(row.get("kind"), COLORS[row["group"]]) if row["group"] == "condition" else COLORS[row["group"]]


def render_svg(data: dict) -> str:
    rows = data["rows"]
    title = f"{data['study']['name']}: accuracy on {data.get('n_test')} test items"
    label_w = max([len(r["name"]) for r in rows] + [10]) * CHAR_W + PAD
    value_w = max([len(_value_text(r)) for r in rows] + [10]) * CHAR_W + PAD
    left = PAD + label_w
    width = int(left + PLOT_W + PAD + value_w + PAD)
    wrap = max(int((width - 2 * PAD) / CHAR_W), 20)
    verdict_lines = textwrap.wrap(data.get("verdict") or "", width=wrap)
    for note in _notes(data):
        verdict_lines += textwrap.wrap(note, width=wrap)
    top = PAD + FONT * 2 + 8
    plot_h = ROW_H * max(len(rows), 1)
    axis_y = top + plot_h
    height = int(axis_y + 44 + len(verdict_lines) * (FONT + 6) + PAD)

    def x(v: float) -> float:
        return left + PLOT_W * min(max(v, 0.0), 1.0)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{FONT}">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{PAD}" y="{PAD + FONT}" font-weight="bold">{escape(title)}</text>']
    for tick in range(0, 101, 10):
        tx = x(tick / 100)
        out.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{axis_y}" stroke="#e5e7eb"/>')
        if tick % 20 == 0:
            out.append(f'<text x="{tx:.1f}" y="{axis_y + FONT + 4}" text-anchor="middle">{tick}%</text>')
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + PLOT_W}" y2="{axis_y}" stroke="#111827"/>')
    out.append(f'<text x="{left + PLOT_W / 2:.1f}" y="{axis_y + 2 * FONT + 10}" text-anchor="middle">'
               'accuracy on the test items (95% interval)</text>')
    for i, row in enumerate(rows):
        cy = top + ROW_H * i + ROW_H / 2
        color = _color(row)
        out.append(f'<g class="row" data-key="{escape(str(row["key"]))}">')
        out.append(f'<text x="{left - 8:.1f}" y="{cy + FONT / 3:.1f}" text-anchor="end">{escape(row["name"])}</text>')
        acc = row.get("accuracy")
        if acc is not None:
            if row["group"] == "annotator":
                out.append(f'<circle cx="{x(acc):.1f}" cy="{cy:.1f}" r="5" fill="{color}"/>')
            else:
                out.append(f'<rect x="{left}" y="{cy - 8:.1f}" width="{x(acc) - left:.1f}" height="16" '
                           f'fill="{color}" fill-opacity="0.75"/>')
            lo, hi = row.get("ci_low"), row.get("ci_high")
            if lo is not None and hi is not None:
                out.append(f'<line x1="{x(lo):.1f}" y1="{cy:.1f}" x2="{x(hi):.1f}" y2="{cy:.1f}" stroke="#111827" '
                           'stroke-width="1.5"/>')
                for end in (lo, hi):
                    out.append(f'<line x1="{x(end):.1f}" y1="{cy - 6:.1f}" x2="{x(end):.1f}" y2="{cy + 6:.1f}" '
                               'stroke="#111827" stroke-width="1.5"/>')
        out.append(f'<text x="{left + PLOT_W + PAD:.1f}" y="{cy + FONT / 3:.1f}">{escape(_value_text(row))}</text>')
        out.append("</g>")
    for j, line in enumerate(verdict_lines):
        out.append(f'<text x="{PAD}" y="{axis_y + 44 + FONT + j * (FONT + 6)}">{escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out)
