-- wrk script for bench/run.js: one request shape, tokens rotated per request, status codes counted,
-- and one JSON line at the end. Environment: BENCH_METHOD, BENCH_PATH, BENCH_BODY, BENCH_TOKENS (a file
-- with one token per line, optional).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH") or "/"
  body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end
  tokens = {}
  local file = os.getenv("BENCH_TOKENS")
  if file and file ~= "" then
    for line in io.lines(file) do table.insert(tokens, line) end
  end
  next_token = 1
  statuses = {}
  headers = {}
  if body then headers["Content-Type"] = "application/json" end
  if #tokens == 0 then prepared = wrk.format(method, path, headers, body) end
end

function request()
  if prepared then return prepared end
  headers["Authorization"] = "Bearer " .. tokens[next_token]
  next_token = next_token % #tokens + 1
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local codes = {}
  for status, count in pairs(merged) do
    table.insert(codes, string.format('"%s":%d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"total":%d,"durationMicros":%d,"p50Micros":%d,"p99Micros":%d,"errors":%d,"statusCodes":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(codes, ",")))
end
