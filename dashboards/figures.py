"""Pure functions from plain numbers to Plotly figures: the spike chart, shares, the region map, sparklines."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import plotly.graph_objects as go

from .palette import BLACK, BLUE, REDDISH_PURPLE, SERIES_COLOURS, SKY_BLUE, STATE_COLOURS, STATE_LABELS

FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#1b1b1b")
BAND_FILL = "rgba(86, 180, 233, 0.25)"
INCIDENT_OPACITY = 0.18
MAP_SCALE = [[0.0, "#deebf7"], [1.0, "#08306b"]]
"""One hue from light to dark: readable whatever colours a viewer tells apart."""


@dataclass(frozen=True)
class Segment:
    """A stretch of an incident in one state, as it is shaded on the spike chart."""

    start: str
    end: str
    state: str


@dataclass(frozen=True)
class Marker:
    """An update on the service's official status page, drawn as a line at the time it was posted."""

    at: str
    status: str
    name: str
    display_at: str


LABEL_ROW = 22
"""Pixels at the top of the spike chart kept for the incidents' state labels; the posts' labels start below."""
CLOSE_POSTS = 1 / 50
"""Posts closer than this share of the chart's width take turns to label at the bottom: upright labels that near
would overlap (investigating and identified often come minutes apart)."""


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def labelled_low(markers: list[Marker], span: float) -> list[bool]:
    """For each post, oldest first, whether its label goes at the bottom of a chart `span` seconds wide."""
    lows, low, previous = [], False, None
    for marker in markers:
        at = _seconds(marker.at)
        low = previous is not None and at - previous < span * CLOSE_POSTS and not low
        lows.append(low)
        previous = at
    return lows


def _marker_shapes(marker: Marker, low: bool) -> tuple[dict, dict]:
    """A dotted line at the post and its status word and time, upright along the line so neighbours do not collide."""
    shown = f"{marker.status.capitalize()} {marker.at[11:16]}"
    # Plotly reads annotation text as a little HTML; the name comes from the vendor's page.
    hover = f"Official status page: {html.escape(marker.name)} — {marker.status} posted {marker.at[11:16]} UTC"
    if marker.display_at != marker.at:
        hover += f", shown there as {marker.display_at[11:16]} UTC"
    line = dict(type="line", xref="x", yref="paper", x0=marker.at, x1=marker.at, y0=0, y1=1,
                line=dict(color=REDDISH_PURPLE, width=1.5, dash="dot"))
    place = dict(y=0, yanchor="bottom") if low else dict(y=1, yanchor="top", yshift=-LABEL_ROW)
    note = dict(x=marker.at, xref="x", yref="paper", xanchor="right", textangle=-90, **place,
                text=shown, hovertext=hover, showarrow=False, font=dict(color=REDDISH_PURPLE, size=12),
                bgcolor="rgba(255,255,255,0.7)")
    return line, note


def _layout(**extra) -> dict:
    # The 'none' template: the default one is deep-copied into every figure, which costs more than the rest.
    return {"template": "none", "font": FONT, "paper_bgcolor": "white", "plot_bgcolor": "white",
            "margin": dict(l=56, r=16, t=16, b=48), **extra}


def _no_data(text: str) -> dict:
    return dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=15))


def spike_chart(start: str, seconds: int, counts: list[int], baseline: list[float] | None,
                threshold: list[int] | None, segments: list[Segment], unit: str, uirevision: str,
                markers: tuple[Marker, ...] | list[Marker] = ()) -> go.Figure:
    """Reports per `seconds`-long bucket from `start` (UTC) against the baseline and its band, incidents shaded,
    official status page updates marked."""
    # x0 and dx instead of a list of times: a day of minutes is three traces of 1,440 points, and the times
    # would be most of the bytes of every refresh.
    spacing = dict(x0=start, dx=seconds * 1000, mode="lines")
    traces = []
    if baseline is not None and threshold is not None:
        traces.append(go.Scatter(y=baseline, name="Baseline (expected)", **spacing,
                                 line=dict(color=BLACK, dash="dash", width=1.5, shape="hv"),
                                 hovertemplate="Baseline: %{y:,.1f}<extra></extra>"))
        traces.append(go.Scatter(y=threshold, name="Alert threshold", fill="tonexty", **spacing,
                                 fillcolor=BAND_FILL, line=dict(color=SKY_BLUE, width=1, shape="hv"),
                                 hovertemplate="Alert threshold: %{y:,}<extra></extra>"))
    traces.append(go.Scatter(y=counts, name="Reports", **spacing, line=dict(color=BLUE, width=2, shape="hv"),
                             hovertemplate="Reports: %{y:,}<extra></extra>"))
    shapes, notes = [], []
    for segment in segments:
        colour = STATE_COLOURS[segment.state]
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=segment.start, x1=segment.end, y0=0, y1=1,
                           fillcolor=colour, opacity=INCIDENT_OPACITY, line=dict(width=0), layer="below"))
        notes.append(dict(x=segment.start, y=1, xref="x", yref="paper", xanchor="left", yanchor="top",
                          text=STATE_LABELS[segment.state], showarrow=False, font=dict(color=BLACK, size=12),
                          bgcolor="rgba(255,255,255,0.7)"))
    for line, note in map(_marker_shapes, markers, labelled_low(list(markers), len(counts) * seconds)):
        shapes.append(line)
        notes.append(note)
    if not any(counts):
        notes.append(_no_data("No reports in this range"))
    layout = _layout(
        height=380, hovermode="x unified", uirevision=uirevision, shapes=shapes, annotations=notes,
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
        xaxis=dict(type="date", title=dict(text="Time (UTC)"), hoverformat="%a %d %b %H:%M UTC", showgrid=True,
                   gridcolor="#eee", automargin=True),
        yaxis=dict(title=dict(text=f"Reports per {unit}"), rangemode="tozero", showgrid=True, gridcolor="#eee",
                   tickformat=",d", automargin=True),
    )
    return go.Figure(data=traces, layout=layout)


def shares_chart(categories: list[tuple[str, str]], series: list[tuple[str, dict[str, float]]],
                 empty: str = "No reports in this range") -> go.Figure:
    """Bars of percent shares, printed, per (name, shares) of `series` over (key, label) `categories`."""
    labels = [label for _, label in categories]
    # An empty set prints no "0.0 %" labels, which would only run into the note that says it is empty.
    traces = [go.Bar(y=labels, x=[shares.get(key, 0.0) for key, _ in categories], name=name, orientation="h",
                     marker=dict(color=SERIES_COLOURS[n % len(SERIES_COLOURS)]),
                     text=[f"{shares.get(key, 0.0):.1f} %" for key, _ in categories] if shares else None,
                     textposition="outside",
                     cliponaxis=False, hovertemplate="%{y}: %{x:.1f} %<extra>%{fullData.name}</extra>")
              for n, (name, shares) in enumerate(series)]
    notes = [] if any(shares for _, shares in series) else [_no_data(empty)]
    layout = _layout(
        height=70 + 34 * len(categories) * max(1, len(series)), barmode="group", annotations=notes,
        margin=dict(l=120, r=56, t=8, b=36), legend=dict(orientation="h", x=0, y=-0.15, yanchor="top"),
        showlegend=len(series) > 1,
        xaxis=dict(range=[0, 100], ticksuffix=" %", showgrid=True, gridcolor="#eee", fixedrange=True),
        yaxis=dict(autorange="reversed", fixedrange=True),
    )
    return go.Figure(data=traces, layout=layout)


def region_map(alpha3: list[str], names: list[str], counts: list[int], percents: list[float]) -> go.Figure:
    """A world choropleth of reports by country (ISO 3166-1 alpha-3 codes), darker for more."""
    trace = go.Choropleth(locations=alpha3, z=counts, text=names, customdata=percents, locationmode="ISO-3",
                          colorscale=MAP_SCALE, zmin=0, marker=dict(line=dict(color="white", width=0.5)),
                          colorbar=dict(title=dict(text="Reports"), thickness=12, len=0.8, tickformat=",d"),
                          hovertemplate="%{text}: %{z:,} reports (%{customdata:.1f} %)<extra></extra>")
    notes = [] if any(counts) else [_no_data("No reports from a known country in this range")]
    layout = _layout(
        height=360, margin=dict(l=0, r=0, t=0, b=0), annotations=notes,
        geo=dict(projection=dict(type="natural earth"), showframe=False, showcoastlines=False, showland=True,
                 landcolor="#f2f2f2", showcountries=True, countrycolor="#bbb", lataxis=dict(range=[-58, 85])),
    )
    return go.Figure(data=[trace], layout=layout)


def sparkline_points(values: list[int], width: float, height: float) -> str:
    """The `points` of an SVG polyline drawing `values` left to right, highest at the top, zero at the bottom."""
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(1, len(values) - 1)
    return " ".join(f"{n * step:.1f},{height - value / top * height:.1f}" for n, value in enumerate(values))
