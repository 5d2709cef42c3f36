-- GET with the agent's token. Env: BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
wrk.headers["Authorization"] = "Token " .. token
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
