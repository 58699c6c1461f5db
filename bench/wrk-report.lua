-- wrk -s bench/wrk-report.lua: adds one machine-readable line to wrk's own report, for bench/run.
-- Only the `done` hook: per-request hooks would slow wrk down and skew what it measures.
done = function(summary, latency, requests)
    io.write(string.format(
        "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d connect_errors=%d "
            .. "read_errors=%d write_errors=%d timeouts=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.timeout))
end
