"""The progress report as a PDF, made with fpdf2 (pure Python, from PyPI; no system packages).

Text is set in the PDF's built-in Helvetica, which needs no font file but knows only Latin-1
(most Western European names). When a text needs a letter outside it, the report is made again
in DejaVu Sans (Debian's fonts-dejavu-core), embedded: reading and subsetting that font costs
about a second, thirty times the rest, so it is paid only when needed. Without the font file
such letters print as "?" rather than failing the download.
The charts are the page's own (same data and geometry), drawn with fpdf2's lines and shapes;
each has its table beside it.
Care flags and reflections' private text are not in the report: the selector never reads them."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from roleplay.charts.svg import SERIES_LOOKS, Box, Plot, _fmt, _ticks

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


class _NeedsUnicode(Exception):
    """A text has a letter Helvetica cannot print: make the report again with an embedded font."""


def _unicode_fonts() -> tuple[Path, Path] | None:
    regular = Path(getattr(settings, "DYAD_PDF_FONT", DEFAULT_FONT))
    bold = Path(getattr(settings, "DYAD_PDF_FONT_BOLD", DEFAULT_BOLD))
    return (regular, bold) if regular.exists() and bold.exists() else None


class _Report(FPDF):
    def __init__(self, footer_text: str, fonts: tuple[Path, Path] | None, *, strict: bool):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.strict = strict  # raise _NeedsUnicode instead of printing "?"
        self.unicode = fonts is not None
        if fonts is not None:
            regular, bold = fonts
            self.add_font("body", "", str(regular))
            self.add_font("body", "B", str(bold))
            self.family = "body"
        else:
            self.family = "helvetica"
        self._widths: dict[tuple[str, bool], float] = {}
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def text_of(self, value) -> str:
        text = str(value)
        if self.unicode:
            return text
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            if self.strict:
                raise _NeedsUnicode from None
            return text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.text_of(f"{self.footer_text} · page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 13):
        self.ln(3)
        self.set_font(self.family, "B", size)
        self.multi_cell(0, 7, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def para(self, text: str):
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 5.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def grid(self, rows: list[list], widths: tuple | None = None, line_height: float = 5.5):
        """A bordered table, its first row the bold heading (repeated on each new page).

        Drawn with plain cells: fpdf2's ``table()`` lays every cell out with ``multi_cell``
        and made a 95-session report 50x a minimal page's time (issue 10). A value too wide
        for its column still wraps onto more lines of the row."""
        widths = widths or (1,) * len(rows[0])
        scale = self.epw / sum(widths)
        columns = [w * scale for w in widths]
        texts = [[self.text_of(value) for value in row] for row in rows]
        heading = self._grid_lines(texts[0], columns, line_height, bold=True)
        self._grid_draw(heading, columns, line_height, bold=True)
        for row in texts[1:]:
            lines = self._grid_lines(row, columns, line_height, bold=False)
            if self.get_y() + len(max(lines, key=len)) * line_height > self.page_break_trigger:
                self.add_page()
                self._grid_draw(heading, columns, line_height, bold=True)
            self._grid_draw(lines, columns, line_height, bold=False)
        self.set_font(self.family, "", 10)
        self.ln(2)

    def _grid_lines(self, row, columns, line_height, *, bold) -> list[list[str]]:
        """Each cell's text as the lines it takes in its column (one, mostly)."""
        self.set_font(self.family, "B" if bold else "", 9)
        return [
            [text]
            if self._width(text, bold) <= w - 2 * self.c_margin
            else self.multi_cell(w, line_height, text, dry_run=True, output="LINES")
            for text, w in zip(row, columns, strict=True)
        ]

    def _width(self, text: str, bold: bool) -> float:
        """A text's width at the table's size, measured once: rows repeat most of theirs."""
        key = (text, bold)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def _grid_draw(self, lines, columns, line_height, *, bold) -> None:
        """One row: each cell's border, then its lines placed directly (``text`` does no layout,
        unlike ``cell``), vertically centred as ``cell`` centres them."""
        self.set_font(self.family, "B" if bold else "", 9)
        height = len(max(lines, key=len)) * line_height
        x, y = self.l_margin, self.get_y()
        baseline = 0.5 * line_height + 0.3 * self.font_size
        for cell, w in zip(lines, columns, strict=True):
            self.rect(x, y, w, height)
            for n, line in enumerate(cell):
                self.text(x + self.c_margin, y + n * line_height + baseline, line)
            x += w
        self.set_xy(self.l_margin, y + height)

    def chart(self, plot: Plot):
        """The page's line chart drawn again with fpdf2's lines and shapes, to the same geometry
        as ``roleplay.charts.svg.line_chart`` (its SVG units scaled to the page's width):
        drawing the SVG through fpdf2's parser cost the report half its time (issue 10)."""
        box = Box()
        scale = self.epw / box.width
        if self.get_y() + box.height * scale > self.page_break_trigger:
            self.add_page()
        left, top = self.l_margin, self.get_y()
        y_min, y_max = float(plot.y_range[0]), float(plot.y_range[1])
        if y_max <= y_min:
            y_max = y_min + 1
        n = len(plot.x_labels)

        def at(x: float, y: float) -> tuple[float, float]:
            return left + x * scale, top + y * scale

        def x_of(i: int) -> float:
            return box.left + (box.plot_width / 2 if n == 1 else box.plot_width * i / (n - 1))

        def y_of(value: float) -> float:
            return box.top + box.plot_height * (1 - (value - y_min) / (y_max - y_min))

        def label(x: float, y: float, text: str, anchor: str = "start") -> None:
            width = self.get_string_width(text)
            shift = {"start": 0, "middle": width / 2, "end": width}[anchor]
            px, py = at(x, y)
            self.text(px - shift, py, text)

        self.set_font(self.family, "", 7)
        self.set_text_color(0x44)
        self.set_line_width(1 * scale)
        bottom = box.top + box.plot_height
        self.set_draw_color("#d0d7de")
        for tick in _ticks(y_min, y_max):
            self.line(*at(box.left, y_of(tick)), *at(box.left + box.plot_width, y_of(tick)))
            label(box.left - 6, y_of(tick) + 4, _fmt(tick), "end")
        every = max(1, -(-n // 8))
        for i, text in enumerate(plot.x_labels):
            if i % every == 0 or i == n - 1:
                label(x_of(i), bottom + 16, self.text_of(text), "middle")
        self.set_draw_color("#444444")
        self.line(*at(box.left, bottom), *at(box.left + box.plot_width, bottom))
        for index, series in enumerate(plot.series):
            colour, dash, shape = SERIES_LOOKS[index % len(SERIES_LOOKS)]
            self.set_draw_color(colour)
            self.set_fill_color(colour)
            self.set_line_width(2 * scale)
            pattern = [float(d) * scale for d in dash.split()][:2]
            segments: list[list[tuple[float, float]]] = [[]]
            markers = []
            for i, value in enumerate(series.values):
                if value is None:
                    segments.append([])
                    continue
                point = (x_of(i), y_of(float(value)))
                segments[-1].append(at(*point))
                markers.append(point)
            self.set_dash_pattern(*pattern)
            for points in segments:
                if len(points) > 1:
                    self.polyline(points)
            lx, ly = box.left + index * 200, box.height - 12
            self.line(*at(lx, ly - 4), *at(lx + 24, ly - 4))
            self.set_dash_pattern()
            for x, y in [*markers, (lx + 12, ly - 4)]:
                self._marker(shape, *at(x, y), scale)
            self.set_text_color(0x22)
            label(lx + 30, ly, self.text_of(series.name))
            self.set_text_color(0x44)
        self.set_text_color(0)
        self.set_draw_color(0)
        self.set_line_width(0.2)
        self.set_font(self.family, "", 10)
        self.set_xy(self.l_margin, top + box.height * scale + 2)

    def _marker(self, shape: str, x: float, y: float, scale: float) -> None:
        """A point's marker, shaped as ``svg._marker`` shapes it (filled, SVG units scaled)."""
        if shape == "square":
            self.rect(x - 4 * scale, y - 4 * scale, 8 * scale, 8 * scale, style="F")
        elif shape == "diamond":
            d = 5 * scale
            self.polygon([(x, y - d), (x + d, y), (x, y + d), (x - d, y)], style="F")
        elif shape == "triangle":
            d, e = 5 * scale, 4 * scale
            self.polygon([(x, y - d), (x + d, y + e), (x - d, y + e)], style="F")
        else:
            self.circle(x, y, 4 * scale, style="F")


def _number(value) -> str:
    if value is None:
        return "-"
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def progress_pdf(*, cohort, trainee, progress, generated_at, charts) -> bytes:
    """The report: practice per role, feedback on time, goals, the perspective gap and the
    received subscales, each chart followed by its numbers."""
    fonts = _unicode_fonts()
    try:
        return _build(cohort, trainee, progress, generated_at, charts, None, fonts is not None)
    except _NeedsUnicode:
        return _build(cohort, trainee, progress, generated_at, charts, fonts, False)


def _build(cohort, trainee, progress, generated_at, charts, fonts, strict) -> bytes:
    footer = f"{trainee.name} · {cohort.name} · made {generated_at:%Y-%m-%d %H:%M}"
    pdf = _Report(footer, fonts, strict=strict)
    pdf.set_title(f"Progress report: {trainee.name}")
    pdf.set_author("Dyad")
    pdf.add_page()
    pdf.heading(f"Progress report: {trainee.name}", size=16)
    pdf.para(f"{cohort.name}, {cohort.term_start:%-d %B %Y} to {cohort.term_end:%-d %B %Y}.")

    hours = progress.hours
    pdf.heading("Practice")
    rows = [["Role", "Sessions", "Hours"]]
    rows += [[t.label, t.sessions, t.hours] for t in hours.totals]
    rows.append(["All roles", hours.sessions, hours.hours])
    pdf.grid(rows)

    pdf.heading("Feedback given on time")
    on_time = progress.on_time
    if on_time.share is None:
        pdf.para("No feedback forms were due yet.")
    else:
        pdf.para(
            f"{on_time.share}% on time: {on_time.on_time} of {on_time.due} forms due were "
            f"submitted before their window closed ({on_time.late} late, {on_time.missed} "
            f"missed; {on_time.open} still open)."
        )

    pdf.heading("Goals")
    goals = progress.goals
    if goals.current is None:
        pdf.para("No goal set yet.")
    else:
        pdf.para(f"Current goal: {goals.current.goal}")
        if goals.earlier:
            rows = [["Set after", "Goal", "Tried?"]]
            rows += [
                [_day(r.session.start), r.goal, r.get_goal_tried_display() or "Not answered"]
                for r in goals.earlier
            ]
            pdf.grid(rows, widths=(25, 110, 30))

    empathy, subscale_charts = charts
    pdf.heading(empathy.title)
    if empathy.plot is None:
        pdf.para("No sessions with feedback yet.")
    else:
        pdf.chart(empathy.plot)
        rows = [["Session", "Client's rating", "Own rating", "Gap"]]
        rows += [
            [_day(p.start), _number(p.client), _number(p.self_rating), _number(p.gap)]
            for p in empathy.points
        ]
        pdf.grid(rows)

    pdf.heading("Scores over time")
    if not subscale_charts:
        pdf.para("No sessions with feedback yet.")
    for chart in subscale_charts:
        pdf.heading(chart.title, size=11)
        if chart.plot is not None:
            pdf.chart(chart.plot)
        rows = [["Session", "Score"]] + [[_day(p.start), _number(p.value)] for p in chart.points]
        pdf.grid(rows)

    pdf.heading("Practice hours log")
    if not hours.rows:
        pdf.para("No practised sessions yet.")
    else:
        rows = [["Date", "Role", "Minutes", "Scenario", "Reviewed"]]
        rows += [
            [
                _day(r.start),
                r.role_label,
                r.minutes,
                r.scenario or "-",
                "yes" if r.reviewed else "no",
            ]
            for r in hours.rows
        ]
        pdf.grid(rows, widths=(25, 25, 20, 70, 22))
    return bytes(pdf.output())
