-- POST /api/v1/tickets/: an agent opens a ticket for an existing customer (a phone call).
-- Env: BENCH_TOKEN, BENCH_CUSTOMERS (how many customers exist).
local token = os.getenv("BENCH_TOKEN")
local customers = tonumber(os.getenv("BENCH_CUSTOMERS"))
local n = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Token " .. token
wrk.headers["Content-Type"] = "application/json"
setup = function(thread) thread:set("id", math.random(1, 1000000)) end
request = function()
  n = n + 1
  local body = string.format(
    '{"customer": {"id": %d}, "subject": "Звонок: заказ %d не доставлен", ' ..
    '"text": "Клиент позвонил: заказ %d опаздывает на три дня, просит вернуть деньги.", ' ..
    '"priority": "high", "tags": ["phone"]}',
    math.random(1, customers), n, n)
  return wrk.format(nil, nil, nil, body)
end
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
