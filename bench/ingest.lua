-- Reports for POST /api/v1/reports, or batches of RADAR_BENCH_BATCH reports for /api/v1/reports/batch
-- (with RADAR_BENCH_RELAY_KEY). Every report comes from a distinct client, with addresses from the
-- 198.18.0.0/15 benchmarking range (X-Forwarded-For from a trusted local proxy, or the relay's `client`).
-- With RADAR_BENCH_CLOSE set, each single report asks to close its connection, as a crowd of distinct
-- reporters would send them. Prints a JSON summary for bench/ingest.py.
local surfaces = {"website", "desktop", "mobile", "api"}
local batch = tonumber(os.getenv("RADAR_BENCH_BATCH") or "0")
local key = os.getenv("RADAR_BENCH_RELAY_KEY") or ""
local counter = 0

local function address(n)
  return string.format("198.%d.%d.%d", 18 + n % 2, math.floor(n / 250) % 256, n % 250 + 1)
end

local function single()
  counter = counter + 1
  local body = string.format('{"service":"claude","surface":"%s"}', surfaces[counter % 4 + 1])
  return wrk.format("POST", "/api/v1/reports", {["Content-Type"] = "application/json",
    ["User-Agent"] = "bench-ingest-" .. counter, ["X-Forwarded-For"] = address(counter),
    ["Connection"] = os.getenv("RADAR_BENCH_CLOSE") and "close" or nil}, body)
end

local function many()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = string.format('{"service":"claude","surface":"%s","client":"%s","user_agent":"relay-%d"}',
                             surfaces[counter % 4 + 1], address(counter), counter)
  end
  return wrk.format("POST", "/api/v1/reports/batch", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key}, '{"reports":[' .. table.concat(parts, ",") .. ']}')
end

request = batch > 0 and many or single

accepted = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

response = function(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("accepted")
  end
  io.write(string.format('{"requests": %d, "accepted": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, total, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    + summary.errors.status))
end
