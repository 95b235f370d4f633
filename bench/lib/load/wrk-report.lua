-- wrk script of the bench runner: optional upload body (args: upload BYTES)
-- and a one-line JSON report with the percentiles wrk's text output lacks (p99.9).
function init(args)
  if args[1] == "upload" then
    wrk.method = "POST"
    wrk.body = string.rep("x", tonumber(args[2]))
    wrk.headers["Content-Type"] = "application/octet-stream"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
