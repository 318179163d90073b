#!/usr/bin/env python3
"""Plot a `resso-bench soak` run: server RSS, open fds and live tokio tasks over time, as SVG.

Usage: python3 bench/soak_plot.py RUN.jsonl [OUT.svg]   (default OUT: RUN.svg)

Reads the run's JSON lines (`soak_sample` lines, and the `soak_summary` line for the warm-up
mark); stdlib only, the SVG is written by hand. Three panels share the time axis; a dashed line
marks the warm-up mark, a dotted one the end of the churn.
"""

import json
import sys
from pathlib import Path

WIDTH, PANEL_H, LEFT, RIGHT, TOP, GAP = 900, 170, 80, 20, 60, 50
SERIES = [
    ("rss_kib", "server RSS (MiB)", lambda v: v / 1024, "#1f77b4"),
    ("fds", "open fds", lambda v: v, "#d62728"),
    ("tasks", "tokio tasks alive", lambda v: v, "#2ca02c"),
]


def load(path):
    samples, summary = [], {}
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("kind") == "soak_sample":
            samples.append(row)
        elif row.get("kind") == "soak_summary":
            summary = row
    return samples, summary


def nice_range(lo, hi):
    """Pads [lo, hi] a little so flat lines do not sit on the frame."""
    if hi <= lo:
        hi = lo + 1
    pad = (hi - lo) * 0.1
    return max(0.0, lo - pad), hi + pad


def panel(index, key, label, scale, colour, samples, t_range, marks):
    top = TOP + index * (PANEL_H + GAP)
    plot_w = WIDTH - LEFT - RIGHT
    points = [(s["t_s"], scale(s[key])) for s in samples if s.get(key) is not None]
    if not points:
        return [f'<text x="{LEFT}" y="{top + 20}">{label}: no data</text>']
    lo, hi = nice_range(min(p[1] for p in points), max(p[1] for p in points))
    t0, t1 = t_range

    def x(t):
        return LEFT + (t - t0) / (t1 - t0) * plot_w

    def y(v):
        return top + PANEL_H - (v - lo) / (hi - lo) * PANEL_H

    out = [f'<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{PANEL_H}" fill="none" stroke="#999"/>']
    out.append(f'<text x="{LEFT}" y="{top - 8}" font-weight="bold">{label}</text>')
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>')
    for i in range(7):
        t = t0 + (t1 - t0) * i / 6
        out.append(f'<text x="{x(t):.1f}" y="{top + PANEL_H + 14}" text-anchor="middle">{t:.0f}</text>')
    for t, dash in marks:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + PANEL_H}" '
                   f'stroke="#555" stroke-dasharray="{dash}"/>')
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
    return out


def render(samples, summary):
    t0 = min(s["t_s"] for s in samples)
    t1 = max(max(s["t_s"] for s in samples), t0 + 1)
    marks = []
    if "warmup_s" in summary:
        marks.append((summary["warmup_s"], "6,4"))
    churn = [s["t_s"] for s in samples if s.get("phase") == "churn"]
    if churn:
        marks.append((max(churn), "2,3"))
    height = TOP + len(SERIES) * (PANEL_H + GAP)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>']
    title = "resso-bench soak"
    if summary:
        title += (f': {summary.get("duration_s", 0):.0f} s, {summary.get("churners")} churners, '
                  f'{summary.get("healthy")} healthy, {summary.get("rate")} publishes/s')
    out.append(f'<text x="{LEFT}" y="20" font-size="14">{title}</text>')
    out.append(f'<text x="{LEFT}" y="38" fill="#555">dashed: warm-up mark; dotted: end of churn; '
               f'y axes are zoomed to the data (not from zero)</text>')
    for i, (key, label, scale, colour) in enumerate(SERIES):
        out += panel(i, key, label, scale, colour, samples, (t0, t1), marks)
    bottom = TOP + len(SERIES) * (PANEL_H + GAP) - GAP + 44
    out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{bottom}" text-anchor="middle">'
               f'seconds since churn started ({t0:.0f} … {t1:.0f})</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    source = Path(argv[1])
    target = Path(argv[2]) if len(argv) > 2 else source.with_suffix(".svg")
    samples, summary = load(source)
    if not samples:
        sys.exit(f"{source}: no soak_sample lines")
    target.write_text(render(samples, summary))
    print(f"wrote {target} ({len(samples)} samples)")


if __name__ == "__main__":
    main(sys.argv)
