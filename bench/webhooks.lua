-- Distinct pre-signed Twilio webhooks for wrk (driven by bench/webhooks.py).
--
--   wrk -t2 -c8 -d10s -s bench/webhooks.lua http://127.0.0.1:PORT -- POOL THREADS
--
-- POOL has one request a line, "<X-Twilio-Signature> <url-encoded body>", signed in
-- Python for PORT's /webhooks/twilio. Thread k of THREADS sends lines k, k+THREADS, ...
-- once each, never repeating one. A thread that runs out stops and says so in the
-- result (make the pool larger). done() prints one machine-readable line:
--   WRK {"requests":..,"non2xx":..,"p50_us":..,"p99_us":..,...}

local PATH = "/webhooks/twilio"
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local pool, count = args[1], tonumber(args[2])
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  requests, sent, exhausted = {}, 0, 0
  local line_no = 0
  for line in io.lines(pool) do
    if line_no % count == id then
      local signature, body = line:match("^(%S+) (.*)$")
      headers["X-Twilio-Signature"] = signature
      requests[#requests + 1] = wrk.format("POST", PATH, headers, body)
    end
    line_no = line_no + 1
  end
  pool_size = #requests
end

function request()
  sent = sent + 1
  local next_request = requests[sent]
  if next_request == nil then
    -- out of distinct requests: stop this thread; this last one is refused (404)
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/bench-pool-exhausted")
  end
  return next_request
end

function done(summary, latency, requests)
  local exhausted_threads, pool = 0, 0
  for _, thread in ipairs(threads) do
    exhausted_threads = exhausted_threads + thread:get("exhausted")
    pool = pool + thread:get("pool_size")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"pool":%d,"exhausted_threads":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    pool, exhausted_threads))
end
