-- wrk: the same POST /v1/messages as bench/plans/messages.yaml and bench/messages.json.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "bench-not-a-key"
wrk.headers["anthropic-version"] = "2023-06-01"
local f = assert(io.open(os.getenv("BENCH_BODY") or "bench/messages.json", "r"))
wrk.body = f:read("*a"):gsub("%s+$", "")
f:close()
