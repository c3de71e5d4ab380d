"""Geometry of the dashboard's charts, drawn server-side as SVG (templates/_charts.html).

No JavaScript and no charting library: a chart is a handful of rectangles and text labels, so the
server computes their positions and the template writes them out (autoescaped). Every chart has a
<title> and <desc> for screen readers and prints its values as text, and the page shows the same
numbers as a table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # index of the series (CSS class chart-s0, chart-s1, ...)
    value: float
    label: str  # what the bar is, for its <title>
    text: str  # the value as shown


@dataclass
class Tick:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[Tick] = field(default_factory=list)  # category labels
    grid: list[Tick] = field(default_factory=list)  # value axis labels
    legend: list[tuple[int, str]] = field(default_factory=list)
    empty: bool = False
    horizontal: bool = False
    plot_left: float = 0
    plot_right: float = 0
    plot_top: float = 0
    plot_bottom: float = 0


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - unreachable


def _fmt(value: float) -> str:
    """Whole numbers as such, others with two significant digits (0.013, 0.25, 2.5), at most one decimal from 10."""
    value = float(value)
    if value.is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2g}"


def column_chart(chart_id: str, title: str, desc: str, categories: list[str], series: list[tuple[str, list[float]]],
                 *, width: int = 720, height: int = 260, max_labels: int = 12) -> Chart:
    """Vertical bars, one group per category and one bar per series in each group."""
    chart = Chart(id=chart_id, title=title, desc=desc, width=width, height=height,
                  legend=[(i, name) for i, (name, _values) in enumerate(series)])
    left, right, top, bottom = 44.0, width - 8.0, 12.0, height - 40.0
    chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom = left, right, top, bottom
    peak = max((v for _name, values in series for v in values), default=0)
    chart.empty = not categories or peak <= 0
    axis_max = _nice_max(peak)
    for i in range(5):
        value = axis_max * i / 4
        chart.grid.append(Tick(x=left - 6, y=bottom - (bottom - top) * i / 4, text=_fmt(value)))
    if not categories:
        return chart
    slot = (right - left) / len(categories)
    bar_width = max(slot * 0.8 / len(series), 0.5)
    every = max(1, math.ceil(len(categories) / max_labels))
    # Value labels only where they fit above the bars.
    show_values = bar_width >= 14
    for c, category in enumerate(categories):
        x0 = left + slot * c + slot * 0.1
        for s, (name, values) in enumerate(series):
            value = values[c]
            h = (bottom - top) * value / axis_max
            chart.bars.append(Bar(x=x0 + s * bar_width, y=bottom - h, width=bar_width, height=h, series=s,
                                  value=value, label=f"{category}, {name}: {_fmt(value)}",
                                  text=_fmt(value) if show_values else ""))
        if c % every == 0:
            chart.labels.append(Tick(x=left + slot * (c + 0.5), y=bottom + 16, text=category))
    return chart


def bar_chart(chart_id: str, title: str, desc: str, rows: list[tuple[str, float]], *, unit: str = "",
              width: int = 720, row_height: int = 28, label_width: int = 170) -> Chart:
    """Horizontal bars, one per row, each labelled with its name and value."""
    height = max(len(rows), 1) * row_height + 16
    chart = Chart(id=chart_id, title=title, desc=desc, width=width, height=height, horizontal=True)
    left, right, top = float(label_width), width - 70.0, 8.0
    chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom = left, right, top, height - 8.0
    peak = max((v for _label, v in rows), default=0)
    chart.empty = not rows or peak <= 0
    scale = (right - left) / (peak if peak > 0 else 1)
    for r, (label, value) in enumerate(rows):
        y = top + r * row_height
        text = f"{_fmt(value)}{unit}"
        chart.bars.append(Bar(x=left, y=y + 4, width=max(value * scale, 0), height=row_height - 8, series=0,
                              value=value, label=f"{label}: {text}", text=text))
        chart.labels.append(Tick(x=left - 8, y=y + row_height / 2 + 4, text=label))
    return chart
