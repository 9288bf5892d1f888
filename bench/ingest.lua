-- One report per request from many different clients (X-Forwarded-For from a trusted local proxy, addresses
-- from the 198.18.0.0/15 benchmarking range),
-- so dedupe and per-client limits see distinct reporters; prints a JSON summary for bench/ingest.py.
local surfaces = {"website", "desktop", "mobile", "api"}
local counter = 0

request = function()
  counter = counter + 1
  local body = string.format('{"service":"claude","surface":"%s"}', surfaces[counter % 4 + 1])
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "bench-ingest-" .. counter,
    ["X-Forwarded-For"] = string.format("198.%d.%d.%d", math.random(18, 19), math.random(0, 255),
                                        math.random(1, 254)),
  }
  return wrk.format("POST", "/api/v1/reports", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    + summary.errors.status))
end
