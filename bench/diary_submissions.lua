-- wrk script for bench/diary_submissions.py: POSTs diary entries, each with a fresh UUID and a
-- day within the last year, rotating over the signed-in patients' session cookies.
local cookies = {}
for c in string.gmatch(os.getenv("BENCH_COOKIES") or "", "[^,]+") do
  table.insert(cookies, c)
end
local token = os.getenv("BENCH_CSRF")
local referer = os.getenv("BENCH_REFERER")
local counter = 0
local threads = {}
local refused = {}  -- status code -> count, per thread

setup = function(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

init = function(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    math.random(0, 0xffffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), math.random(0, 0xffff), math.random(0, 0xffffffff))
end

request = function()
  counter = counter + 1
  local cookie = cookies[(counter % #cookies) + 1]
  -- Days 1..360 back: inside the form's range whatever the server's time zone.
  local day = os.date("!%Y-%m-%d", os.time() - math.random(1, 360) * 86400)
  local body = string.format(
    '{"uuid":"%s","date":"%s","mood":%d,"anxiety":%d,"craving":%d,"sleep_quality":%d,' ..
    '"withdrawal":%d,"motives":["pain"],"note":"","uses":[{"substance":"kratom_powder",' ..
    '"amount":"%d","unit":"g","time":"08:00"}]}',
    uuid4(), day, math.random(0, 10), math.random(0, 10), math.random(0, 10),
    math.random(0, 10), math.random(0, 10), math.random(1, 8))
  return wrk.format("POST", "/diary/api/entries/", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "sessionid=" .. cookie .. "; csrftoken=" .. token,
    ["X-CSRFToken"] = token, ["Referer"] = referer}, body)
end

response = function(status, headers, body)
  if status ~= 201 then
    refused[status] = (refused[status] or 0) + 1
    local listed = ""
    for code, n in pairs(refused) do listed = listed .. code .. ":" .. n .. " " end
    bad_statuses = listed
  end
end

done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local listed = thread:get("bad_statuses")
    if listed then io.write("REFUSED " .. listed .. "\n") end
  end
  io.write(string.format("RESULT requests=%d non2xx=%d errors=%d p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
