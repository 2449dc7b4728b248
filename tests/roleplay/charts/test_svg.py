"""The SVG line chart: what it promises in its module docstring."""

from decimal import Decimal

from roleplay.charts.svg import Series, has_points, line_chart, nice_range


def chart(series, labels=None, y_range=(0, 50)):
    labels = labels or [f"{i + 1} Mar" for i in range(len(series[0].values))]
    return str(
        line_chart(
            title="Felt <understood>",
            description="A & B",
            x_labels=labels,
            series=series,
            y_range=y_range,
            chart_id="chart-test",
        )
    )


def test_svg_chart_single_point_is_a_marker_without_a_line():
    svg = chart([Series("Client's rating", [Decimal("38.00")])])
    assert svg.count('<circle class="marker"') == 2  # the point and the legend's sample
    assert "<polyline" not in svg
    assert "Client&#x27;s rating, 1 Mar: 38" in svg


def test_svg_chart_missing_value_breaks_the_line_instead_of_plotting_zero():
    svg = chart([Series("Own rating", [30, None, 38, 40])])
    assert svg.count("<polyline") == 1  # only 38 → 40 are joined; 30 stands alone
    assert svg.count('<circle class="marker"') == 4  # three points and the legend
    assert ": 0<" not in svg


def test_svg_chart_series_differ_by_more_than_colour():
    svg = chart([Series("Client", [20, 30]), Series("Own", [40, 38])])
    assert 'stroke-dasharray="6 4"' in svg  # the second line is dashed
    assert svg.count('<rect class="marker"') == 3  # with square markers


def test_svg_chart_escapes_text_and_has_no_style_attribute():
    svg = chart([Series("<script>", [1, 2])], labels=['"x"', "y"])
    assert "<script>" not in svg
    assert "Felt &lt;understood&gt;" in svg and "A &amp; B" in svg
    assert "style=" not in svg
    assert 'role="img"' in svg and 'aria-labelledby="chart-test-title chart-test-desc"' in svg


def test_svg_chart_maps_values_inside_the_plot_area():
    svg = chart([Series("s", [0, 50])], y_range=(0, 50))
    # Box: top 16, plot height 260 - 16 - 56 = 188: 50 at y=16, 0 at y=204.
    assert 'points="48.0,204.0 624.0,16.0"' in svg


def test_has_points_and_nice_range():
    assert not has_points([Series("a", [None, None])])
    assert has_points([Series("a", [None, 3])])
    assert nice_range([3, 7], floor_at=0) == (0, 7)
    assert nice_range([12, 38]) == (10, 40)
