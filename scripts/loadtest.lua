-- wrk script for scripts/loadtest.sh: POSTs one signed pull_request delivery per request, each with a unique
-- X-GitHub-Delivery (the signature covers only the body, so one signature serves every request of a body).
-- Arguments (after --): payload file, signature header value, run id, then optionally more payload file and
-- signature pairs (one body per pull request): requests take the bodies in turn.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

function init(args)
  bodies = { { body = read(args[1]), signature = args[2] } }
  run_id = args[3] or tostring(os.time())
  local i = 4
  while args[i] and args[i + 1] do
    table.insert(bodies, { body = read(args[i]), signature = args[i + 1] })
    i = i + 2
  end
  counter = 0
  not_accepted = 0
end

function request()
  counter = counter + 1
  local pick = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/loadtest",
    ["X-GitHub-Event"] = "pull_request",
    ["X-GitHub-Delivery"] = string.format("%s-%d-%d", run_id, thread_id, counter),
    ["X-Hub-Signature-256"] = pick.signature,
  }, pick.body)
end

function response(status, headers, response_body)
  if status ~= 202 then
    not_accepted = not_accepted + 1
  end
end

function done(summary, latency, requests)
  local refused = 0
  for _, thread in ipairs(threads) do
    refused = refused + thread:get("not_accepted")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local accepted = summary.requests - refused
  local seconds = summary.duration / 1e6
  io.write("-- CriticBot intake --\n")
  io.write(string.format("accepted (202): %d, not 202: %d, socket errors: %d, in %.1f s\n", accepted, refused, errors, seconds))
  io.write(string.format("deliveries/s: %.0f\n", accepted / seconds))
  io.write(string.format("latency p50: %.2f ms, p90: %.2f ms, p99: %.2f ms, max: %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
