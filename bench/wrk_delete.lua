-- wrk script of cargo xtask bench: the same request every bench client sends.
wrk.method = "DELETE"
wrk.path = "/v4/devices/bench-device-0001"
wrk.headers["Authorization"] = "Basic YmVuY2gtYXBwLWtleTpiZW5jaC1tYXN0ZXItc2VjcmV0"
wrk.headers["Accept"] = "application/json"

-- One JSON line at the end (latencies are in microseconds), after wrk's own
-- report.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"impl":"wrk","calls":%d,"errors":%d,"wall_s":%.6f,"median_us":%.2f,"p99_us":%.2f,"mean_us":%.2f,"calls_per_s":%.1f}\n',
    summary.requests, errors, secs, latency:percentile(50), latency:percentile(99),
    latency.mean, summary.requests / secs))
end
