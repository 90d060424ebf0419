-- The pixel until the last TAIL seconds of the run, then a forged click link (a 404 that
-- records nothing): the requests wrk cuts off when it stops are those, so every open the
-- server recorded is a 200 that wrk counted.
local pixel, forged = os.getenv("BENCH_PIXEL"), os.getenv("BENCH_FORGED")
local switch_at = os.time() + tonumber(os.getenv("BENCH_SECONDS")) - tonumber(os.getenv("BENCH_TAIL"))
local pixel_request = wrk.format("GET", pixel)
local forged_request = wrk.format("GET", forged)
ok = 0 -- global: done() reads it from each thread

function request()
  if os.time() < switch_at then return pixel_request end
  return forged_request
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 end
end

-- each thread's count of 200s, summed in done()
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write(string.format("pixel_200 %d\n", total))
end
