package dev.hitslb.bench;

import dev.hitslb.lb.Replica;
import dev.hitslb.servers.Binaries;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.stack.StackLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run --soak MINUTES}: the steady state. Every counted X-Request-Id stays in {@code hit_request} for
 * REQUEST_ID_RETENTION_SECONDS, so a fresh stack measures an empty table and a running one a full one. The soak
 * runs the stack with the retention shortened to half the soak, loads it at half of (c)'s throughput until the
 * table has held its retention size for the second half, sampling the table, and then measures (c) again:
 * throughput against the fresh run, p99, whether the table stayed flat, and what the sweep (the service's
 * DELETE of expired ids) cost. The table's size at the default retention is extrapolated from the rate.
 */
final class Soak {
    static final double GOAL_THROUGHPUT = 0.90;
    static final double GOAL_P99_MS = 20;
    /** Flat: the table's peak in the later half of the steady part at most this much above the earlier half's. */
    static final double GROWTH = 1.10;

    static final int MIN_MINUTES = 6;
    static final long DEFAULT_RETENTION_SECONDS = 180; // AppConfig's
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(30);
    private static final int CLIENTS = 32;
    private static final Pattern HEY_RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern HEY_ERRORS = Pattern.compile("(?m)^\\s+\\[(\\d+)]\\s+Get ");
    private static final Pattern SWEEP = Pattern.compile("forgot (\\d+) request ids older than \\d+ s in (\\d+) ms");

    private final Bench bench;
    private final Bench.Options options;
    private final Duration length;
    private final Duration retention;

    Soak(Bench bench, Bench.Options options) {
        if (options.soak().toMinutes() < MIN_MINUTES) {
            throw new IllegalArgumentException("--soak needs at least " + MIN_MINUTES
                    + " minutes: half of it fills the request-id table, the other half holds it at its retention size");
        }
        this.bench = bench;
        this.options = options;
        this.length = options.soak();
        this.retention = length.dividedBy(2);
    }

    /** What the replicas run with: the retention shortened to half the soak. */
    Map<String, String> replicaEnvironment() {
        return Map.of("REQUEST_ID_RETENTION_SECONDS", Long.toString(retention.toSeconds()));
    }

    /** One sample of the request-id table, {@code seconds} into the soak. */
    record Sample(long seconds, long rows, long bytes) {}

    int run(LocalStack stack, StackLayout layout) throws IOException {
        List<String> replicas =
                layout.topology().replicas().stream().map(Replica::name).toList();
        CpuMeter meter = Bench.meter(stack, replicas);
        String url = layout.url();
        Bench.Load fresh = bench.wrk(
                "(c) fresh: 3 replicas behind nginx, round_robin, the request-id table nearly empty", url, meter);

        double rate = Math.max(CLIENTS, fresh.requestsPerSecond() / 2);
        bench.step(String.format(
                Locale.ROOT,
                "Soak: hey at %,.0f page loads a second (half of fresh (c)) through nginx for %d min;"
                        + " REQUEST_ID_RETENTION_SECONDS=%d, so the table reaches its retention size after %d s",
                rate,
                length.toMinutes(),
                retention.toSeconds(),
                retention.toSeconds()));
        Map<String, Long> logFrom = logSizes(stack, replicas);
        long accessFrom = Files.size(stack.accessLog());
        List<Sample> samples = new ArrayList<>();
        String heyOutput = soak(url, rate, stack, samples);
        Map<String, Long> logTo = logSizes(stack, replicas);
        // nginx's access log, not hey's report: hey reports at most 1,000,000 responses.
        Map<Integer, Long> statuses = AccessLog.statuses(stack.accessLog(), accessFrom, Files.size(stack.accessLog()));
        Matcher achieved = HEY_RATE.matcher(heyOutput);
        double achievedRate = achieved.find() ? Double.parseDouble(achieved.group(1)) : 0;
        Matcher errors = HEY_ERRORS.matcher(heyOutput);
        long heyErrors = 0;
        while (errors.find()) {
            heyErrors += Long.parseLong(errors.group(1));
        }
        bench.progress(String.format(
                Locale.ROOT, "hey: %,.0f req/s, statuses %s, %d errors", achievedRate, statuses, heyErrors));

        Bench.Load after = bench.measure(
                "(c) after the soak: the request-id table at its retention size", url, options.duration(), meter);
        Bench.Check exactlyOnce = bench.exactlyOnce(stack, url);

        List<Bench.Check> checks = new ArrayList<>();
        double ratio = after.requestsPerSecond() / fresh.requestsPerSecond();
        checks.add(new Bench.Check(
                "throughput of (c) after the soak / fresh",
                String.format(Locale.ROOT, "≥ %.0f %%", GOAL_THROUGHPUT * 100),
                String.format(
                        Locale.ROOT,
                        "%.0f %% (%,.0f / %,.0f req/s)",
                        ratio * 100,
                        after.requestsPerSecond(),
                        fresh.requestsPerSecond()),
                ratio >= GOAL_THROUGHPUT));
        checks.add(new Bench.Check(
                "p99 of (c) after the soak",
                "< " + (int) GOAL_P99_MS + " ms",
                Bench.ms(after.p99Ms()),
                after.p99Ms() < GOAL_P99_MS));
        checks.add(new Bench.Check(
                "errors in (c), fresh and after",
                "0",
                fresh.errors() + ", " + after.errors(),
                fresh.errors() + after.errors() == 0));
        // 499: a client closed its connection before the answer, as hey (and the fresh run's wrk, logged a moment
        // late) do to the requests in flight at their deadline: at most one per connection, not a failure.
        long closedByClient = statuses.getOrDefault(499, 0L);
        long refused = statuses.entrySet().stream()
                .filter(e -> e.getKey() / 100 != 2 && e.getKey() != 499)
                .mapToLong(Map.Entry::getValue)
                .sum();
        checks.add(new Bench.Check(
                "the soak's page loads",
                String.format(Locale.ROOT, "every one 2xx (499 only at a deadline), ≥ 90 %% of %,.0f req/s", rate),
                String.format(
                        Locale.ROOT,
                        "nginx answered %s; hey: %d errors at the deadline or before, %,.0f req/s",
                        statuses,
                        heyErrors,
                        achievedRate),
                refused == 0
                        && closedByClient <= CLIENTS + options.connections()
                        && statuses.getOrDefault(200, 0L) > 0
                        && heyErrors <= CLIENTS
                        && achievedRate >= 0.9 * rate));
        checks.add(flat(samples, retention));
        checks.add(exactlyOnce);

        StringBuilder md = new StringBuilder(bench.report(
                stack,
                List.of(fresh, after),
                String.format(
                        Locale.ROOT,
                        "Soak: %d min at %,.0f req/s through nginx with REQUEST_ID_RETENTION_SECONDS=%d;"
                                + " (c) measured %d s fresh (after a %d s warm-up) and %d s after.",
                        length.toMinutes(),
                        achievedRate,
                        retention.toSeconds(),
                        options.duration().toSeconds(),
                        options.warmup().toSeconds(),
                        options.duration().toSeconds()),
                soakSummary(samples, stack, replicas, logFrom, logTo),
                checks));
        md.append("\nThe request-id table during the soak:\n\n| s | ids | size |\n|---:|---:|---:|\n");
        samples.forEach(s ->
                md.append(String.format(Locale.ROOT, "| %d | %,d | %s |%n", s.seconds(), s.rows(), mib(s.bytes()))));
        return bench.finish(md.toString(), checks);
    }

    /** hey at {@code rate} for the soak's length, the table sampled every 30 s meanwhile; hey's output. Never leaves hey running. */
    private String soak(String url, double rate, LocalStack stack, List<Sample> samples) throws IOException {
        Path output = Files.createTempFile("bench-soak", ".txt");
        Process hey = new ProcessBuilder(
                        Binaries.require("hey").toString(),
                        "-z",
                        length.toSeconds() + "s",
                        "-c",
                        Integer.toString(CLIENTS),
                        "-q",
                        String.format(Locale.ROOT, "%.2f", rate / CLIENTS),
                        "-H",
                        "Accept: application/json",
                        url)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            long t0 = System.nanoTime();
            while (!hey.waitFor(SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS)) { // a sample only while the load runs
                Sample sample =
                        sample(stack, Duration.ofNanos(System.nanoTime() - t0).toSeconds());
                samples.add(sample);
                bench.progress(String.format(
                        Locale.ROOT, "%4d s: %,d ids, %s", sample.seconds(), sample.rows(), mib(sample.bytes())));
                if (Duration.ofNanos(System.nanoTime() - t0).compareTo(length.plusMinutes(1)) > 0) {
                    throw new IllegalStateException("hey did not stop after its " + length.toMinutes() + " min");
                }
            }
            return new String(Files.readAllBytes(output), java.nio.charset.StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the soak", e);
        } finally {
            hey.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    /**
     * Flat: from one sweep after the table reached its retention size on, the largest sample of the later half is
     * at most GROWTH above the largest of the earlier half, in ids and in bytes. (Between two sweeps the table
     * swings by design, filling for one sweep interval past the retention and then dropping: comparing the peaks
     * of each half sees growth, not that swing.)
     */
    static Bench.Check flat(List<Sample> samples, Duration retention) {
        long steadyFrom = retention.toSeconds() + sweepEvery(retention).toSeconds();
        List<Sample> steady =
                samples.stream().filter(s -> s.seconds() >= steadyFrom).toList();
        String goal = String.format(
                Locale.ROOT,
                "from %d s on: the later half's peak ≤ %.2f x the earlier half's, ids and bytes",
                steadyFrom,
                GROWTH);
        if (steady.size() < 4) {
            return new Bench.Check(
                    "request-id table flat",
                    goal,
                    steady.size() + " sample(s) from " + steadyFrom + " s: too few, soak longer",
                    false);
        }
        List<Sample> early = steady.subList(0, steady.size() / 2);
        List<Sample> late = steady.subList(steady.size() / 2, steady.size());
        double rows = (double) peak(late, Sample::rows) / peak(early, Sample::rows);
        double bytes = (double) peak(late, Sample::bytes) / peak(early, Sample::bytes);
        return new Bench.Check(
                "request-id table flat",
                goal,
                String.format(Locale.ROOT, "ids x%.2f, bytes x%.2f (%d samples)", rows, bytes, steady.size()),
                rows <= GROWTH && bytes <= GROWTH);
    }

    private static long peak(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        return Math.max(1, samples.stream().mapToLong(value).max().orElseThrow());
    }

    /** The service sweeps every retention / 4, at most every 60 s (HitsBackend). */
    static Duration sweepEvery(Duration retention) {
        return Duration.ofSeconds(Math.min(60, retention.toSeconds() / 4));
    }

    private static Map<String, Long> logSizes(LocalStack stack, List<String> replicas) throws IOException {
        Map<String, Long> sizes = new java.util.HashMap<>();
        for (String replica : replicas) {
            sizes.put(replica, Files.size(stack.log(replica)));
        }
        return sizes;
    }

    /**
     * The sweep's cost during the soak, from what the replicas logged meanwhile (one replica sweeps at a time,
     * HitRepository), and the table scaled to the default retention from its largest steady sample.
     */
    private String soakSummary(
            List<Sample> samples, LocalStack stack, List<String> replicas, Map<String, Long> from, Map<String, Long> to)
            throws IOException {
        long sweeps = 0;
        long forgotten = 0;
        long longestMs = 0;
        long totalMs = 0;
        for (String replica : replicas) {
            byte[] log = Files.readAllBytes(stack.log(replica));
            String during = new String(
                    log,
                    Math.toIntExact(from.get(replica)),
                    Math.toIntExact(to.get(replica) - from.get(replica)),
                    java.nio.charset.StandardCharsets.UTF_8);
            Matcher m = SWEEP.matcher(during);
            while (m.find()) {
                sweeps++;
                forgotten += Long.parseLong(m.group(1));
                longestMs = Math.max(longestMs, Long.parseLong(m.group(2)));
                totalMs += Long.parseLong(m.group(2));
            }
        }
        Sample largest = samples.stream()
                .filter(s -> s.seconds() >= retention.toSeconds())
                .max(java.util.Comparator.comparingLong(Sample::rows))
                .orElse(samples.getLast());
        double factor = (double) DEFAULT_RETENTION_SECONDS / retention.toSeconds();
        return String.format(
                Locale.ROOT,
                "The sweep (a DELETE of expired ids by one replica at a time, every %d s): %d sweeps deleted"
                        + " %,d ids during the soak; the longest took %d ms, all of them %.1f s. At the default retention (%d s) and this"
                        + " rate the table would hold about %,.0f ids (%s), %.1f x the most the soak held.",
                sweepEvery(retention).toSeconds(),
                sweeps,
                forgotten,
                longestMs,
                totalMs / 1000.0,
                DEFAULT_RETENTION_SECONDS,
                largest.rows() * factor,
                mib((long) (largest.bytes() * factor)),
                factor);
    }

    private static Sample sample(LocalStack stack, long seconds) {
        String[] v = stack.psql("SELECT count(*), pg_total_relation_size('hit_request') FROM hit_request")
                .split("\\|");
        return new Sample(seconds, Long.parseLong(v[0].strip()), Long.parseLong(v[1].strip()));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
    }
}
