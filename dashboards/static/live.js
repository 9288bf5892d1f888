// Shared by the dashboard pages: polling that pauses in hidden tabs, the "updated N s ago" line, local times.

const local = new Intl.DateTimeFormat(undefined, {
  weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
});

export function localTime(when) {
  return local.format(new Date(when));
}

// Adds the viewer's own time after every UTC <time> under `root`, unless the viewer is on UTC anyway.
export function localize(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.dateTime);
    if (el.querySelector(".local") || when.getTimezoneOffset() === 0) continue;
    const span = document.createElement("span");
    span.className = "local";
    span.textContent = ` (${localTime(el.dateTime)})`;
    el.append(span);
  }
}

// Fetches url() every data-refresh seconds while the tab is visible and hands the JSON to onData.
export function live(element, url, onData, { paused = false } = {}) {
  const period = Number(element.dataset.refresh) * 1000;
  const updated = element.querySelector("[data-updated]");
  const problem = element.querySelector("[data-problem]");
  let fetchedAt = Date.now();
  let triedAt = fetchedAt;
  let timer = null;
  let controller = null;

  function tick() {
    if (paused) return;
    const seconds = Math.round((Date.now() - fetchedAt) / 1000);
    updated.textContent = seconds < 2 ? "Updated just now." : `Updated ${seconds} s ago.`;
  }

  // False when a newer load took over: that one schedules the next refresh, so this one must not, or the
  // two would keep aborting each other in a storm of requests whenever the server is slower than the period.
  async function load() {
    // A newer request (a range button pressed mid-refresh) wins over an older one still on its way.
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    triedAt = Date.now();
    try {
      const response = await fetch(url(), { headers: { Accept: "application/json" }, cache: "no-store",
                                            signal: mine.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      onData(await response.json());
      fetchedAt = Date.now();
      problem.textContent = "";
      tick();
    } catch (error) {
      if (error.name === "AbortError") return false;
      problem.textContent = "Could not refresh; trying again shortly.";
    }
    return true;
  }

  function schedule() {
    clearTimeout(timer);
    if (paused || document.hidden) return;
    // From the last attempt, not the last success: a failing server is asked once a period, not in a loop.
    timer = setTimeout(async () => { if (await load()) schedule(); }, Math.max(0, triedAt + period - Date.now()));
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) clearTimeout(timer);
    else schedule();
  });
  if (paused) updated.textContent = "A fixed range: not refreshed.";
  setInterval(tick, 1000);
  schedule();
  return {
    async now() { if (await load()) schedule(); },
    resume() { paused = false; schedule(); },
  };
}
