"""The progress page's charts, from the selector's points (plain objects with `.start` and
values): the perspective gap over time and one small chart per received subscale."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString

from .svg import Plot, Series, has_points, line_chart, nice_range


@dataclass
class Chart:
    """A chart as shown: its SVG, or None when there is nothing to draw (the page says so)."""

    key: str
    title: str
    svg: SafeString | None
    points: list  # the same numbers as the SVG, for the table alternative
    table: list[tuple[str, ...]] = field(default_factory=list)  # those numbers as text
    plot: Plot | None = None  # what the SVG draws, for drawing it again elsewhere (the PDF)


def long_day(moment) -> str:
    """A table's date, "2 Mar 2027", in the active zone. Formatted here, not by the template's
    date filter: a year of sessions makes hundreds of cells."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def _text(value, missing: str = "—") -> str:
    return missing if value is None else str(value)


def short_day(moment) -> str:
    """The x label: "3 Nov" in the active (viewer's) time zone."""
    return date_format(timezone.localtime(moment), "j M")


def _y_range(values: list[float], possible: tuple[float, float] | None) -> tuple[float, float]:
    if possible is not None:
        return possible
    return nice_range(values, floor_at=0)


def empathy_chart(points, label: str, possible: tuple[float, float] | None) -> Chart:
    title = f"Client-rated empathy and own rating ({label.lower()})" if label else "Empathy"
    series = [
        Series("Client's rating", [p.client for p in points]),
        Series("Own rating", [p.self_rating for p in points]),
    ]
    if not has_points(series):
        return Chart("empathy", title, None, [])
    values = [float(v) for s in series for v in s.values if v is not None]
    plot = Plot([short_day(p.start) for p in points], series, _y_range(values, possible))
    svg = line_chart(
        title=title,
        description=(
            "How understood the client-role trainee felt in each session where this trainee was "
            "the therapist, beside the trainee's own rating on the same questions. The distance "
            "between the lines is the perspective gap."
        ),
        x_labels=plot.x_labels,
        series=series,
        y_range=plot.y_range,
        chart_id="chart-empathy",
    )
    table = [
        (long_day(p.start), _text(p.client), _text(p.self_rating), _text(p.gap)) for p in points
    ]
    return Chart("empathy", title, svg, points, table, plot)


def subscale_chart(score_series) -> Chart:
    points = score_series.points
    series = [Series(score_series.label, [p.value for p in points])]
    table = [(long_day(p.start), _text(p.value, "not scorable")) for p in points]
    if not has_points(series):
        return Chart(score_series.key, score_series.label, None, points, table)
    values = [float(p.value) for p in points if p.value is not None]
    plot = Plot(
        [short_day(p.start) for p in points], series, _y_range(values, score_series.y_range)
    )
    svg = line_chart(
        title=score_series.label,
        description=f"{score_series.label}, as scored when each form was submitted, by session.",
        x_labels=plot.x_labels,
        series=series,
        y_range=plot.y_range,
        chart_id=f"chart-{score_series.key}",
    )
    return Chart(score_series.key, score_series.label, svg, points, table, plot)
