import { live } from "./live.js";

const input = document.getElementById("q");
const rows = document.querySelector("[data-rows]");
const none = document.querySelector("[data-none]");
const status = document.querySelector("[data-live]");

function filter() {
  const query = input.value.trim().toLowerCase();
  let shown = 0;
  for (const row of rows.rows) {
    row.hidden = query !== "" && !row.dataset.name.includes(query);
    if (!row.hidden) shown += 1;
  }
  none.hidden = shown > 0;
}

input.addEventListener("input", filter);
input.form.addEventListener("submit", (event) => {
  event.preventDefault();
  filter();
  const query = input.value.trim();
  history.replaceState(null, "", query ? `?q=${encodeURIComponent(query)}` : location.pathname);
});

live(status, () => status.dataset.live, (data) => {
  rows.innerHTML = data.html;
  filter();
});
