"""Line charts as inline SVG, drawn on the server: no JavaScript, no CDN.

Promises:
- The markup carries no `style=` attribute (the Content-Security-Policy forbids inline styles):
  colours and strokes are SVG presentation attributes, which CSS classes in
  static/css/progress.css may refine; so the chart reads the same with or without the stylesheet.
- Every point is a marker, so one point shows as a dot; a missing value (None) breaks the line
  rather than being drawn as 0; with no values at all the caller shows words instead (see
  `has_points`).
- Each series has its own marker shape and dash pattern besides its colour, so the chart reads in
  greyscale print and without colour vision; the page gives a table with the same numbers.
- Every text is escaped; the chart is `role="img"` with a <title> and <desc>.
"""

from dataclasses import dataclass
from decimal import Decimal
from math import floor, log10

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = Decimal | float | int

# (stroke colour, dash pattern, marker) per series, in order: colour-blind-safe (Okabe–Ito).
SERIES_LOOKS = [
    ("#0072b2", "", "circle"),
    ("#d55e00", "6 4", "square"),
    ("#009e73", "2 3", "diamond"),
    ("#cc79a7", "8 3 2 3", "triangle"),
]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[Number | None]  # one per x label; None where there is no value


@dataclass(frozen=True)
class Box:
    width: int = 640
    height: int = 260
    left: int = 48
    right: int = 16
    top: int = 16
    bottom: int = 56

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


@dataclass(frozen=True)
class Plot:
    """A line chart's data: what ``line_chart`` draws as SVG and the PDF report with fpdf2's
    own lines and shapes (parsing the SVG back cost the report most of its time)."""

    x_labels: list[str]
    series: list[Series]
    y_range: tuple[Number, Number]


def has_points(series: list[Series]) -> bool:
    return any(v is not None for s in series for v in s.values)


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_range(values: list[float], floor_at: float | None = None) -> tuple[float, float]:
    """An axis range around the values: from `floor_at` (or the lowest value) to a round top."""
    low = min(values) if floor_at is None else min(floor_at, *values)
    high = max(values)
    if high <= low:
        high = low + 1
    step = 10 ** floor(log10(high - low))
    return (floor(low / step) * step, -(-high // step) * step)


def _ticks(y_min: float, y_max: float, count: int = 4) -> list[float]:
    step = (y_max - y_min) / count
    return [y_min + step * i for i in range(count + 1)]


def _marker(shape: str, x: float, y: float, colour: str, label: str) -> str:
    title = f"<title>{escape(label)}</title>"
    if shape == "square":
        return (
            f'<rect class="marker" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
            f'fill="{colour}">{title}</rect>'
        )
    if shape == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon class="marker" points="{points}" fill="{colour}">{title}</polygon>'
    if shape == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon class="marker" points="{points}" fill="{colour}">{title}</polygon>'
    return (
        f'<circle class="marker" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'
    )


def line_chart(
    *,
    title: str,
    description: str,
    x_labels: list[str],
    series: list[Series],
    y_range: tuple[float, float],
    chart_id: str,
    box: Box = Box(),
) -> SafeString:
    """An SVG line chart of `series` against `x_labels` (one x step per label)."""
    y_min, y_max = (float(y_range[0]), float(y_range[1]))
    if y_max <= y_min:
        y_max = y_min + 1
    n = len(x_labels)

    def x_at(i: int) -> float:
        if n == 1:
            return box.left + box.plot_width / 2
        return box.left + box.plot_width * i / (n - 1)

    def y_at(value: float) -> float:
        return box.top + box.plot_height * (1 - (value - y_min) / (y_max - y_min))

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {box.width} {box.height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="11">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    bottom = box.top + box.plot_height
    for tick in _ticks(y_min, y_max):
        y = y_at(tick)
        parts.append(
            f'<line class="grid" x1="{box.left}" y1="{y:.1f}" x2="{box.left + box.plot_width}" '
            f'y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text class="tick" x="{box.left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="#444">{_fmt(tick)}</text>'
        )
    every = max(1, -(-n // 8))  # at most about eight date labels
    for i, label in enumerate(x_labels):
        if i % every and i != n - 1:
            continue
        parts.append(
            f'<text class="tick" x="{x_at(i):.1f}" y="{bottom + 16}" text-anchor="middle" '
            f'fill="#444">{escape(label)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{box.left}" y1="{bottom}" x2="{box.left + box.plot_width}" '
        f'y2="{bottom}" stroke="#444" stroke-width="1"/>'
    )
    for index, one in enumerate(series):
        colour, dash, shape = SERIES_LOOKS[index % len(SERIES_LOOKS)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments = [segment]
        markers = []
        for i, value in enumerate(one.values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x, y = x_at(i), y_at(float(value))
            segment.append(f"{x:.1f},{y:.1f}")
            label = f"{one.name}, {x_labels[i]}: {_fmt(float(value))}"
            markers.append(_marker(shape, x, y, colour, label))
        parts.append(f'<g class="series series-{index}">')
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr}/>'
                )
        parts.extend(markers)
        # The legend, under the axis labels.
        lx = box.left + index * 200
        ly = box.height - 12
        parts.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 24}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            + _marker(shape, lx + 12, ly - 4, colour, one.name)
            + f'<text class="legend" x="{lx + 30}" y="{ly}" fill="#222">{escape(one.name)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped
