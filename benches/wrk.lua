-- The wrk script of `benches/wrk.rs`: POSTs generic webhook DMs, each with an event id no other
-- request of the run has (run label, wrk thread, per-thread counter) from customers spread over
-- `customers` ids per thread, and counts the answers' bodies, so that a duplicate (answered on a
-- cheaper path) cannot pass for throughput unseen.
--
-- Arguments (after `--`): run label, customers per thread.

local threads = {}
local started = 0

function setup(thread)
   started = started + 1
   thread:set("tid", started)
   table.insert(threads, thread)
end

local texts = {
   "where is my order?",
   "what are your opening hours",
   "I forgot my password",
   "hello",
   "is there a network outage in my area?",
   "I have a question about my bill",
}

function init(args)
   run = args[1] or "run"
   customers = tonumber(args[2]) or 10000
   n = 0
   accepted, duplicate, other = 0, 0, 0
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local body = string.format(
      '{"id":"%s-%d-%d","account":"acme","customer":{"id":"u%d-%d","name":"Jo"},"text":"%s"}',
      run, tid, n, tid, n % customers, texts[n % #texts + 1])
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      return -- wrk counts these itself (summary.errors.status)
   end
   if body:find('"accepted"', 1, true) then
      accepted = accepted + 1
   elseif body:find('"duplicate"', 1, true) then
      duplicate = duplicate + 1
   else
      other = other + 1
   end
end

-- One machine-readable line for the bench, after wrk's own report.
function done(summary, latency, requests)
   local a, d, o = 0, 0, 0
   for _, t in ipairs(threads) do
      a = a + t:get("accepted")
      d = d + t:get("duplicate")
      o = o + t:get("other")
   end
   local e = summary.errors
   io.write(string.format(
      "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d accepted=%d duplicate=%d other=%d\n",
      summary.requests, summary.duration, math.floor(latency:percentile(50)),
      math.floor(latency:percentile(99)), latency.max, e.status,
      e.connect + e.read + e.write + e.timeout, a, d, o))
end
