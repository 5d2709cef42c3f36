-- Shared by every scenario: print the run's figures as one JSON line at the end.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
