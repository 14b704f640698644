-- wrk script for bench/consent_api.py: one method, a rotating set of bodies, fixed extra
-- headers, and a per-status count; done() prints one JSON line the driver parses.
--   BENCH_METHOD   GET or POST
--   BENCH_BODIES   request bodies, one per line (rotated per request); empty for GET
--   BENCH_HEADERS  extra headers, "Name: value" one per line

local method = os.getenv("BENCH_METHOD") or "GET"
local bodies_env = os.getenv("BENCH_BODIES") or ""
local headers_env = os.getenv("BENCH_HEADERS") or ""

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local requests_ready = {}
local next_index = 1
counts = {}

function init(args)
   local headers = {}
   for line in headers_env:gmatch("[^\n]+") do
      local name, value = line:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
   end
   local bodies = {}
   for line in bodies_env:gmatch("[^\n]+") do table.insert(bodies, line) end
   if #bodies == 0 then
      table.insert(requests_ready, wrk.format(method, wrk.path, headers, nil))
   else
      for _, body in ipairs(bodies) do
         table.insert(requests_ready, wrk.format(method, wrk.path, headers, body))
      end
   end
end

function request()
   local r = requests_ready[next_index]
   next_index = next_index % #requests_ready + 1
   return r
end

function response(status, headers, body)
   local key = tostring(status)
   counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      local c = thread:get("counts")
      for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
   end
   local parts = {}
   for status, n in pairs(total) do table.insert(parts, string.format('"%s":%d', status, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"status":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, table.concat(parts, ","),
      e.connect, e.read, e.write, e.status, e.timeout))
end
