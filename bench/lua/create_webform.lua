-- POST /api/v1/public/tickets/: a customer submits the web form (no auth, JSON).
local n = 0
local seed = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
init = function(args) seed = math.random(1, 1000000000) end
request = function()
  n = n + 1
  local body = string.format(
    '{"name": "Bench Customer %d", "email": "bench-%d-%d@webform.example", ' ..
    '"subject": "Where is my order %d?", "text": "My order %d has not arrived yet. Please help."}',
    n, seed, n, n, n)
  return wrk.format(nil, nil, nil, body)
end
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
