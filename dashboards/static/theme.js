// The charts in the reader's colour scheme. figures.py builds every figure for a light page; in the dark scheme
// its colours give way to the page's own (dashboard.css' variables), and the charts are drawn again when the
// reader switches.

const dark = matchMedia("(prefers-color-scheme: dark)");
const BLACK = "#000000";  // figures.py's ink: the baseline and the incidents' state labels
const DARK_MAP_SCALE = [[0, "#1d3a57"], [1, "#c6dbef"]];  // brighter for more, as a dark ground reads it

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// "#131518" at `alpha`, for labels that sit on a chart and must not hide what is under them.
function veil(hex, alpha) {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function darkTrace(trace, ink, bg) {
  if (trace.type === "choropleth") {
    const line = { ...trace.marker?.line, color: bg };
    return { ...trace, colorscale: DARK_MAP_SCALE, marker: { ...trace.marker, line } };
  }
  if (trace.line?.color === BLACK) return { ...trace, line: { ...trace.line, color: ink } };
  return trace;
}

function darkNote(note, ink, bg) {
  const font = note.font?.color === BLACK ? { ...note.font, color: ink } : note.font;
  return { ...note, font, bgcolor: note.bgcolor ? veil(bg, 0.7) : note.bgcolor };
}

// The figure to draw: `figure` itself in the light scheme, a recoloured copy in the dark one.
export function themed(figure) {
  if (!dark.matches) return figure;
  const [bg, ink, muted, rule, line] = ["--bg", "--ink", "--muted", "--rule", "--line"].map(css);
  const layout = { ...figure.layout, paper_bgcolor: bg, plot_bgcolor: bg, font: { ...figure.layout.font, color: ink },
                   hoverlabel: { bgcolor: bg, bordercolor: line, font: { color: ink } },
                   modebar: { bgcolor: veil(bg, 0.5), color: muted, activecolor: ink } };
  for (const axis of ["xaxis", "yaxis"]) {
    if (layout[axis]) layout[axis] = { ...layout[axis], gridcolor: rule, zerolinecolor: line, linecolor: line };
  }
  if (layout.annotations) layout.annotations = layout.annotations.map((note) => darkNote(note, ink, bg));
  if (layout.geo) {
    layout.geo = { ...layout.geo, bgcolor: bg, landcolor: css("--code-bg"), countrycolor: line, lakecolor: bg };
  }
  return { data: figure.data.map((trace) => darkTrace(trace, ink, bg)), layout };
}

// Calls `redraw` whenever the reader switches between light and dark.
export function onSchemeChange(redraw) {
  dark.addEventListener("change", redraw);
}
