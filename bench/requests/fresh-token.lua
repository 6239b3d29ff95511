-- wrk script: a different valid JWT on every request (scenario f, ES256 cache miss).
-- Tokens come from the file named by BENCH_TOKENS (one per line, signed by bench/security-config.mjs).
-- Request n of this wrk run sends token (BENCH_REQUEST_OFFSET + n) mod count: bench/run.mjs advances the
-- offset past every request an earlier load in the same workerd process sent, so the sequence runs on
-- without restarting, and with more tokens than the gateway's verified-token cache holds (an LRU of
-- 1000), every token has been evicted by the time it comes round again.
-- The header name is the one bench/run.mjs passes with -H ("authorization"), so it is replaced, not doubled.

local tokens = {}
local count = 0
local next_index = 0

function init(args)
  local path = os.getenv("BENCH_TOKENS")
  if path == nil then error("BENCH_TOKENS is not set") end
  for line in io.lines(path) do
    if #line > 0 then
      count = count + 1
      tokens[count] = "Bearer " .. line
    end
  end
  if count == 0 then error("no tokens in " .. path) end
  next_index = tonumber(os.getenv("BENCH_REQUEST_OFFSET") or "0") or 0
end

function request()
  wrk.headers["authorization"] = tokens[(next_index % count) + 1]
  next_index = next_index + 1
  return wrk.format()
end
