/* Outage Radar widget: a service's status card with a "Report a problem" button, drawn where its tag is.
 *   <script src="https://RADAR/widget.js" data-service="claude" async></script>
 * Options: data-theme="auto|light|dark", data-compact="true", data-lang="en|de" (else the page's lang, the browser's).
 * It lives in a Shadow DOM (the page's CSS cannot reach it, its CSS cannot leak out), styles itself with a
 * constructed stylesheet (allowed under a strict CSP), sets no cookies, stores nothing, and inserts every
 * string from the server as text. */
(() => {
  "use strict";

  // Every label by language and, where it has a number, by plural category ({n} is the formatted number).
  // The server writes the table in from its message catalog: add a language there, not here.
  const STRINGS = {/* the catalog's words, by language */};
  const SURFACES = ["website", "desktop", "mobile", "api"];
  const SYMPTOMS = ["", "login", "errors", "slow", "blank_response", "other"];
  const REFRESH_MS = 60000;
  const SVG = "http://www.w3.org/2000/svg";

  // Sizes in px, not rem: rem follows the host page's root font size. `all: initial !important` on :host
  // beats even the page's !important rules for the host element (inner !important wins across shadow trees).
  const CSS = `
:host{all:initial!important;display:block!important;max-width:360px!important;margin:4px 0!important}
[hidden]{display:none!important}
*{box-sizing:border-box}
.card{--bg:#fff;--fg:#1b1b1b;--muted:#555b62;--line:#d3d7dc;--accent:#0b57d0;--on-accent:#fff;--chip:#fff;
 color-scheme:light;
 display:block;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:12px 14px;
 text-align:left;letter-spacing:normal;word-spacing:normal}
.dark{--bg:#1d2126;--fg:#eceff1;--muted:#b0b8c1;--line:#3b424b;--accent:#8ab4f8;--on-accent:#0b1a33;--chip:#1d2126;
 color-scheme:dark}
.head{display:flex;align-items:center;justify-content:space-between;gap:8px}
.name{font-weight:600;font-size:15px;overflow-wrap:anywhere}
.state{flex:none;display:inline-flex;align-items:center;gap:6px;padding:1px 9px;border:2px solid #767676;
 border-radius:999px;background:var(--chip);font-size:12px;font-weight:600;white-space:nowrap}
.state::before{content:"";width:9px;height:9px;border-radius:50%;background:#767676}
.ok{border-color:#009e73}.ok::before{background:#009e73}
.degraded{border-color:#e69f00}.degraded::before{background:#e69f00}
.outage{border-color:#d55e00}.outage::before{background:#d55e00}
.spark{display:block;width:100%;height:36px;margin:10px 0 4px;overflow:visible}
.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.5;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.spark polygon{fill:var(--accent);opacity:.14}
p{margin:0}
.count,.note{font-size:13px}
.count{color:var(--muted)}
.note{margin-top:8px}
.note:empty{display:none}
.q{margin-top:8px;font-weight:600}
select{display:block;width:100%;margin-top:6px;padding:4px 6px;font:inherit;color:var(--fg);background:var(--bg);
 border:1px solid var(--line);border-radius:6px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:6px;margin-top:8px}
button{font:inherit;font-size:13px;cursor:pointer;padding:6px 10px;border-radius:8px;border:1px solid var(--accent);
 background:transparent;color:var(--accent)}
button.primary{background:var(--accent);color:var(--on-accent);font-weight:600}
button:disabled{opacity:.6;cursor:default}
button:focus-visible,select:focus-visible,a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.foot{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-top:10px}
.foot a{color:var(--muted);font-size:12px}
.compact{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:8px 10px}
.compact .head{flex:1 1 0;min-width:0;justify-content:flex-start}
.compact .body,.compact .foot a{display:none}
.compact .foot{margin:0}
.compact .ask,.compact .note{flex-basis:100%;margin:0;order:1}
@media (pointer:coarse){button,select{min-height:44px}}`;

  const script = document.currentScript;
  if (!script || !script.dataset.service) return;
  const origin = new URL(script.src).origin;
  const slug = script.dataset.service.trim().toLowerCase();
  const api = `${origin}/api/v1/services/${encodeURIComponent(slug)}/`;

  // The language asked for, else the host page's, else the reader's browser's first one the table has.
  const known = (tag) => [tag, tag.split("-")[0]].find((code) => Object.prototype.hasOwnProperty.call(STRINGS, code));
  const lang = [script.dataset.lang, document.documentElement.lang, ...(navigator.languages || [])]
    .map((tag) => known((tag || "").toLowerCase())).find(Boolean) || "en";
  const t = STRINGS[lang];
  const plural = new Intl.PluralRules(lang);
  const number = new Intl.NumberFormat(lang);
  const say = (forms, n) => (forms[plural.select(n)] || forms.other).replace("{n}", number.format(n));

  // Children given as strings become text nodes: nothing here is ever parsed as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  function button(label, onClick, className) {
    const node = el("button", { type: "button", class: className || "" }, label);
    node.addEventListener("click", onClick);
    return node;
  }

  const name = el("span", { class: "name" }, slug);
  const state = el("span", { class: "state unknown" }, t.states.unknown);
  const line = svg("polyline", { points: "" });
  const area = svg("polygon", { points: "" });
  const spark = svg("svg", { class: "spark", viewBox: "0 0 100 24", preserveAspectRatio: "none", role: "img" });
  spark.append(area, line);
  const count = el("p", { class: "count" }, "");
  const symptom = el("select", { "aria-label": t.symptoms[""] },
    ...SYMPTOMS.map((s) => el("option", { value: s }, t.symptoms[s])));
  const surfaces = SURFACES.map((s) => button(t.surfaces[s], () => send(s)));
  const ask = el("div", { class: "ask", hidden: "" }, symptom, el("p", { class: "q" }, t.question),
    el("div", { class: "grid" }, ...surfaces));
  const note = el("p", { class: "note", role: "status", "aria-live": "polite" });
  const open = button(t.report, () => asking(true), "primary");
  const cancel = button(t.cancel, () => asking(false));
  cancel.hidden = true;
  const link = el("a", { href: `${origin}/${encodeURIComponent(slug)}`, target: "_blank", rel: "noopener" },
    "Outage Radar");
  const body = el("div", { class: "body" }, spark, count);
  const card = el("div", { class: "card", lang },
    el("div", { class: "head" }, name, state), body, ask, note, el("div", { class: "foot" }, open, cancel, link));
  if (script.dataset.compact && script.dataset.compact !== "false") card.classList.add("compact");

  const theme = script.dataset.theme || "auto";
  const prefersDark = matchMedia("(prefers-color-scheme: dark)");
  const paint = () => card.classList.toggle("dark", theme === "dark" || (theme === "auto" && prefersDark.matches));
  paint();
  prefersDark.addEventListener("change", paint);

  const host = document.createElement("div");
  host.setAttribute("data-outage-radar", slug);
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", {}, CSS));
  }
  root.append(card);
  script.before(host);

  function asking(on) {
    ask.hidden = !on;
    body.hidden = on;
    cancel.hidden = !on;
    open.hidden = on;
    if (on) note.textContent = "";
    (on ? surfaces[0] : open).focus();  // the focused button was just hidden: keep keyboard users in place
  }

  function showCount(total) {
    count.textContent = say(t.lastHour, total);
  }

  function draw(values) {
    const max = Math.max(1, ...values);
    const step = 100 / Math.max(1, values.length - 1);
    const points = values.map((v, i) => `${(i * step).toFixed(2)},${(23 - (v / max) * 21).toFixed(2)}`).join(" ");
    line.setAttribute("points", points);
    area.setAttribute("points", `${points} 100,24 0,24`);
    spark.setAttribute("aria-label", say(t.spark, values.reduce((a, b) => a + b, 0)));
  }

  async function get(path) {
    const response = await fetch(api + path, { credentials: "omit" });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  async function refresh() {
    try {
      const [status, series, summary] = await Promise.all(
        [get("status"), get("series?resolution=15m"), get("summary?window=1h")]);
      name.textContent = status.name || slug;
      const key = status.evaluated_at && t.states[status.state] ? status.state : "unknown";
      state.className = `state ${key}`;
      state.textContent = t.states[key];
      draw(series.buckets.map((b) => b.total));
      showCount(summary.total);
    } catch (error) {
      count.textContent = t.unavailable;
    }
  }

  async function send(surface) {
    surfaces.forEach((b) => { b.disabled = true; });
    note.textContent = t.sending;
    let message = t.failed;
    try {
      const response = await fetch(`${origin}/api/v1/reports`, {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ service: slug, surface, symptom: symptom.value }),
      });
      if (response.status === 429) {
        message = t.busy;
      } else if (response.ok) {
        const report = await response.json();
        const others = Math.max(0, report.reports_last_hour - 1);
        message = !report.counted ? t.already : others ? say(t.thanks, others) : t.first;
        showCount(report.reports_last_hour);
        asking(false);
      }
    } catch (error) {
      message = t.failed;  // offline, or blocked by the page's connect-src
    }
    surfaces.forEach((b) => { b.disabled = false; });
    note.textContent = message;
  }

  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
})();
