// Every <time datetime> on the page in the reader's own clock and zone, the UTC original kept as its title.
// Without JavaScript the server's UTC text stays, which is why the page prints it in the first place.
(() => {
  "use strict";

  // An unknown or malformed <html lang> falls back to the browser's own language rather than failing.
  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  const clock = formatter({ hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  const dated = formatter({ weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
                            timeZoneName: "short" });
  const day = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  const today = day.format(new Date());

  for (const element of document.querySelectorAll("time[datetime]")) {
    // A bare date has no clock time to move into another zone.
    if (!/T\d\d:\d\d/.test(element.dateTime)) continue;
    const when = new Date(element.dateTime);
    if (Number.isNaN(when.getTime())) continue;
    if (!element.title) element.title = element.textContent.trim();
    element.textContent = (day.format(when) === today ? clock : dated).format(when);
  }
})();
