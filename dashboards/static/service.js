import { live, localize, localTime } from "./live.js";
import { onSchemeChange, themed } from "./theme.js";

const status = document.querySelector("[data-live]");
const config = { displaylogo: false, responsive: true, topojsonURL: status.dataset.topojson,
                 modeBarButtonsToRemove: ["select2d", "lasso2d"] };
const links = [...document.querySelectorAll("[data-range]")];
let range = new URL(location.href).searchParams.get("range")
  || links.find((a) => a.getAttribute("aria-current") === "true").dataset.range;
let shown = {};

function render() {
  for (const [name, figure] of Object.entries(shown)) {
    const { data, layout } = themed(figure);
    Plotly.react(document.getElementById(name), data, layout, config);
  }
}

function draw(payload, withPanels) {
  // Plotly knows no time zones: the hover line names the viewer's own time next to the axis' UTC.
  const reports = payload.figures.spike.data.find((trace) => trace.name === "Reports");
  const start = Date.parse(reports.x0);
  reports.text = reports.y.map((_, n) => `Your time: ${localTime(new Date(start + n * reports.dx))}`);
  reports.hovertemplate = reports.hovertemplate.replace("<extra>", "<br>%{text}<extra>");
  shown = payload.figures;
  render();
  if (withPanels) {
    for (const [name, html] of Object.entries(payload.panels)) {
      document.querySelector(`[data-panel="${name}"]`).innerHTML = html;
    }
  }
  localize(document);
  document.body.dataset.shownRange = payload.snapshot.range;
  document.body.dataset.shownTo = payload.snapshot.to;
}

function dataUrl() {
  const url = new URL(status.dataset.live, location.href);
  url.searchParams.set("range", range);
  const to = new URL(location.href).searchParams.get("to");
  if (to) url.searchParams.set("to", to);
  return url;
}

function choose(name) {
  range = name;
  for (const a of links) {
    if (a.dataset.range === name) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
}

const poller = live(status, dataUrl, (payload) => draw(payload, true),
                    { paused: status.dataset.pinned === "true" });

for (const link of links) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    choose(link.dataset.range);
    history.pushState(null, "", link.href);
    poller.resume();
    poller.now();
  });
}

window.addEventListener("popstate", () => {
  choose(new URL(location.href).searchParams.get("range") || "24h");
  poller.now();
});

onSchemeChange(render);
draw(JSON.parse(document.getElementById("payload").textContent), false);
