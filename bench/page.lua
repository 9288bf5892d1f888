-- GET of one page (RADAR_BENCH_PATH) by readers from distinct addresses in the 198.18.0.0/15 benchmarking range
-- (X-Forwarded-For from a trusted local proxy), so the per-address read limit counts every read but refuses none.
-- Prints a JSON summary for bench/public.py: requests, answers 200, 429 and 503, seconds, p50 and p99, socket errors.
local path = os.getenv("RADAR_BENCH_PATH") or "/"
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", path, {["X-Forwarded-For"] = string.format("198.%d.%d.%d", 18 + counter % 2,
    math.floor(counter / 250) % 256, counter % 250 + 1)})
end

answered = 0
limited = 0
shed = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

response = function(status, headers, body)
  if status == 200 then
    answered = answered + 1
  elseif status == 429 then
    limited = limited + 1
  elseif status == 503 then
    shed = shed + 1
  end
end

done = function(summary, latency, requests)
  local total, refused, dropped = 0, 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("answered")
    refused = refused + thread:get("limited")
    dropped = dropped + thread:get("shed")
  end
  io.write(string.format('{"requests": %d, "answered": %d, "limited": %d, "shed": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, total, refused, dropped, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
