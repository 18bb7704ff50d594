"""Small server-rendered SVG line charts (no script, no inline style), readable on a phone.

Series differ by dash pattern and marker as well as colour, so the chart does not rely on colour
alone; pages show the same numbers in a table next to it. Plain Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 40

# (stroke colour, dash pattern) per series, in order.
STYLES = [("#a4161a", ""), ("#1f5fa8", "6 4"), ("#1e6b3a", "2 3")]


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *,
               y_max: float, y_label: str) -> str:
    n = len(x_labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / y_max)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in (0, y_max / 2, y_max):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#d9dde3"/><text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#5a6474">{tick:g}</text>'
        )
    parts.append(
        f'<text x="4" y="{TOP + plot_h / 2:.1f}" font-size="10" fill="#5a6474" '
        f'transform="rotate(-90 8 {TOP + plot_h / 2:.1f})" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    # At most about five date labels fit on a phone; the last one is always shown.
    step = max(1, -(-(n - 1) // 4))
    for i, label in enumerate(x_labels):
        if i == n - 1 or (i % step == 0 and n - 1 - i >= step / 2):
            # The first and last labels hug the plot's edges so they are not cut off.
            anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" '
                f'text-anchor="{anchor}" fill="#5a6474">{escape(label)}</text>'
            )
    for index, s in enumerate(series):
        colour, dash = STYLES[index % len(STYLES)]
        points = [(x(i), y(v)) for i, v in enumerate(s.values) if v is not None]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                f"{dash_attr}/>"
            )
        for px, py in points:
            parts.append(_marker(index, px, py, colour))
        # Legend below the axis labels.
        lx = LEFT + index * 110
        ly = HEIGHT - 10
        parts.append(
            f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>{_marker(index, lx + 9, ly - 4, colour)}'
            f'<text x="{lx + 22}" y="{ly}" font-size="10" fill="#1d2430">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _marker(index: int, px: float, py: float, colour: str) -> str:
    if index % 3 == 0:
        return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
    if index % 3 == 1:
        return (f'<rect x="{px - 3:.1f}" y="{py - 3:.1f}" width="6" height="6" '
                f'fill="{colour}"/>')
    return (f'<path d="M{px:.1f},{py - 4:.1f} L{px + 4:.1f},{py + 3:.1f} '
            f'L{px - 4:.1f},{py + 3:.1f} Z" fill="{colour}"/>')
