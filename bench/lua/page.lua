-- GET a workspace page as a signed-in agent. Env: BENCH_COOKIE (the session cookie).
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
