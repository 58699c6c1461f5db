package dev.hitslb.bench;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.NginxConfig;
import dev.hitslb.lb.NginxVersion;
import dev.hitslb.lb.RenderTarget;
import dev.hitslb.lb.Replica;
import dev.hitslb.lb.Topology;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.Commands;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.stack.StackLayout;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * {@code bench/run}: the performance goals of docs/performance.md#where-the-goals-stand, measured in one run on this machine (loopback only):
 * <ol type="a">
 *   <li>the proxy ceiling: the same nginx binary and config proxying to an upstream that only returns 200,</li>
 *   <li>one replica, directly,</li>
 *   <li>three replicas behind nginx, round_robin, with durable PostgreSQL commits, measured {@code repeats} times in a row,</li>
 *   <li>the same three replicas behind nginx answering GET /health/live, which counts nothing: the
 *       most that (c) could reach with this request path if counting cost nothing,</li>
 * </ol>
 * each with wrk at a fixed number of connections for a fixed time after a warm-up, and where the CPU
 * went during each ({@link CpuMeter}): once every core is busy, CPU per request decides throughput.
 * Before them, the cold start: (c)'s load in the first 10 s after the replicas became ready. Then time
 * to ready, alone and while the other two serve (c)'s load,
 * resident memory per replica under load, exactly once: a fixed-count hey run through nginx whose
 * 2xx count must equal what PostgreSQL's total grew by (wrk stops on a deadline and drops the
 * requests still in flight, so its own 2xx count cannot be held against the total), and a burst of
 * 500 clients that must get no non-2xx, its p99 and each replica's deepest queue reported.
 * {@code --soak} runs {@link Soak} instead, {@code --compose} {@link ComposeComparison}.
 */
final class Bench {
    static final double GOAL_COUNTING = 0.60;
    static final double AIM_COUNTING = 0.75;
    static final double GOAL_WARMUP = 0.80;
    static final Duration COLD_WINDOW = Duration.ofSeconds(10);
    static final double GOAL_P99_MS = 15;
    static final int GOAL_RUNS = 5;
    static final long GOAL_RSS_MIB = 256;
    static final Duration GOAL_READY = Duration.ofSeconds(1);
    static final Duration GOAL_READY_UNDER_LOAD = Duration.ofSeconds(3);
    private static final int CEILING_OFFSET = 30;
    private static final Path WRK_REPORT = Path.of("bench", "wrk-report.lua");
    private static final Pattern WRK_LINE = Pattern.compile("^BENCH (.*)$", Pattern.MULTILINE);
    private static final Pattern HEY_STATUS = Pattern.compile("\\[(\\d{3})]\\s+(\\d+) responses");
    private static final Pattern HEY_P99 = Pattern.compile("99%+ in ([0-9.]+) secs");
    private static final Pattern WAITING = Pattern.compile("(?m)^hits_waiting ([0-9.eE+]+)");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int BURST_CLIENTS = 500;
    static final Duration BURST = Duration.ofSeconds(20);

    /** {@code soak}: zero for the standard run. */
    record Options(
            Path results,
            Path jar,
            int port,
            int connections,
            Duration warmup,
            Duration duration,
            int checkRequests,
            int repeats,
            Duration soak,
            boolean compose) {}

    /** One wrk run. */
    record Load(
            String label,
            double requestsPerSecond,
            double p50Ms,
            double p99Ms,
            long requests,
            long errors,
            Map<String, Double> cpuMicros) {}

    /** One line of the verdict table. */
    record Check(String what, String goal, String measured, boolean passed) {}

    private final Options options;
    private final PrintStream out;

    Bench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs everything, prints the report and writes it to {@code results}; 0 when every goal is met. */
    int run() throws IOException {
        for (String tool : List.of("wrk", "hey", "psql")) {
            Binaries.require(tool);
        }
        if (options.compose()) {
            ComposeComparison.requireEngine();
        }
        if (!Files.isRegularFile(WRK_REPORT)) {
            throw new IllegalStateException(
                    WRK_REPORT + " is missing: run the bench from the repository's root (bench/run does)");
        }
        // A new, empty stack each run (the request-id table's size changes what a commit costs); its
        // processes end with this JVM.
        Path home = ThrowawayDirs.create("bench");
        StackLayout layout = StackLayout.standard(home, Algorithm.ROUND_ROBIN, 3, options.port(), options.jar());
        Soak soak = options.soak().isZero() ? null : new Soak(this, options);
        LocalStack stack = new LocalStack(layout, true, out, soak == null ? Map.of() : soak.replicaEnvironment(), true);
        step("Starting the stack (PostgreSQL with fsync and synchronous_commit on, Redis, 3 replicas, nginx) in "
                + home);
        stack.up();
        try {
            if (options.compose()) {
                return new ComposeComparison(this, options).run(stack, layout);
            }
            return soak == null ? measure(stack, layout) : soak.run(stack, layout);
        } finally {
            step("Stopping the stack");
            stack.down();
        }
    }

    private int measure(LocalStack stack, StackLayout layout) throws IOException {
        List<String> replicas =
                layout.topology().replicas().stream().map(Replica::name).toList();
        // The stack's first replica records the JDK's AOT cache (LocalStack): what it runs now is its training.
        step("Training: " + options.warmup().toSeconds() + " s of (c)'s load, recorded by " + replicas.getFirst()
                + " for the AOT cache the replicas start with from now on");
        capture(wrkCommand(layout.url(), options.warmup()));

        step("Time to ready: each replica stopped and started again, one at a time");
        Map<String, Duration> ready = new LinkedHashMap<>();
        for (String name : replicas) {
            stack.stop(name);
            ready.put(name, stack.start(name));
        }
        // Every replica is now a JVM that has served nothing: what a user gets right after ./stack up, a rolling
        // restart or a scale-out.
        // What holds a cold start back: the JIT compiles the hot code on the same cores that serve it.
        Duration compilingBefore = compilerCpu(stack, replicas);
        Load cold = measure(
                "cold start: as (c), the first " + COLD_WINDOW.toSeconds() + " s after the replicas became ready",
                layout.url(),
                COLD_WINDOW,
                meter(stack, replicas));
        double compiling = compilerCpu(stack, replicas).minus(compilingBefore).toMillis() / 1000.0;
        double busy = cold.cpuMicros().get(CpuMeter.TOTAL) * cold.requests() / 1e6;

        Load ceiling;
        int ceilingPort = options.port() + CEILING_OFFSET;
        try (NginxServer proxy = startCeiling(layout.home().resolve("ceiling"), ceilingPort)) {
            ceiling = wrk(
                    "(a) proxy ceiling: nginx, same config, to an upstream that returns 200",
                    "http://127.0.0.1:" + ceilingPort + "/",
                    meter(stack, replicas, proxy.pid()));
        }
        CpuMeter meter = meter(stack, replicas);
        String first = replicas.getFirst();
        Load direct =
                wrk("(b) one replica: " + first + ", directly", "http://127.0.0.1:" + layout.port(first) + "/", meter);

        Map<String, Long> rss = new ConcurrentHashMap<>();
        List<Load> balanced = new ArrayList<>();
        try (HighestSampler ignored = new HighestSampler(rssProbes(stack, replicas), rss)) {
            String label = ": 3 replicas behind nginx, round_robin";
            balanced.add(wrk("(c) run 1" + label, layout.url(), meter));
            for (int run = 2; run <= options.repeats(); run++) {
                balanced.add(measure("(c) run " + run + label, layout.url(), options.duration(), meter));
            }
        }
        Load typical = median(balanced);
        Load floor =
                wrk("(d) /health/live: as (c), the same path, counting nothing", layout.url() + "health/live", meter);

        Check exactlyOnce = exactlyOnce(stack, layout.url());
        Burst burst = burst(
                layout.url(),
                replicas.stream().collect(Collectors.toMap(n -> n, layout::port)),
                rssProbes(stack, replicas));
        // Last: the restarted replica is a cold JVM for whatever comes after.
        Check restart = restartUnderLoad(stack, layout.url(), replicas.getLast(), typical);

        double counting = typical.requestsPerSecond() / floor.requestsPerSecond();
        double warmup = cold.requestsPerSecond() / typical.requestsPerSecond();
        List<Check> checks = new ArrayList<>();
        checks.add(new Check(
                "counting cost: (c) / (d)" + (balanced.size() > 1 ? ", (c) the median run" : ""),
                String.format(Locale.ROOT, "≥ %.2f (aim %.2f)", GOAL_COUNTING, AIM_COUNTING),
                String.format(
                        Locale.ROOT,
                        "%.2f (%,.0f / %,.0f req/s)",
                        counting,
                        typical.requestsPerSecond(),
                        floor.requestsPerSecond()),
                counting >= GOAL_COUNTING));
        checks.add(new Check(
                "warm-up: the first " + COLD_WINDOW.toSeconds() + " s after a cold start / (c)",
                String.format(Locale.ROOT, "≥ %.0f %%", GOAL_WARMUP * 100),
                String.format(
                        Locale.ROOT,
                        "%.0f %% (%,.0f / %,.0f req/s), %d errors; the replicas' JIT compilers used %.1f of"
                                + " the machine's %.1f busy CPU-seconds",
                        warmup * 100,
                        cold.requestsPerSecond(),
                        typical.requestsPerSecond(),
                        cold.errors(),
                        compiling,
                        busy),
                warmup >= GOAL_WARMUP && cold.errors() == 0));
        checks.add(new Check(
                "p99 of (c), every run",
                "< " + (int) GOAL_P99_MS + " ms in each of " + GOAL_RUNS + " runs",
                balanced.stream().map(l -> ms(l.p99Ms())).collect(Collectors.joining(", "))
                        + (balanced.size() < GOAL_RUNS ? " (--repeat " + balanced.size() + ": too few)" : ""),
                balanced.size() >= GOAL_RUNS && balanced.stream().allMatch(l -> l.p99Ms() < GOAL_P99_MS)));
        long errors = balanced.stream().mapToLong(Load::errors).sum();
        checks.add(new Check("errors in (c)", "0", Long.toString(errors), errors == 0));
        checks.addAll(checks(rss, ready));
        checks.add(exactlyOnce);
        long refused = burst.statuses().entrySet().stream()
                .filter(e -> e.getKey() / 100 != 2)
                .mapToLong(Map.Entry::getValue)
                .sum();
        checks.add(new Check(
                "burst: " + BURST_CLIENTS + " clients for " + BURST.toSeconds() + " s through nginx",
                "0 non-2xx",
                String.format(
                        Locale.ROOT,
                        "%s; p99 %s; most page loads waiting per replica: %s; most resident (MiB): %s",
                        burst.statuses(),
                        ms(burst.p99Ms()),
                        new java.util.TreeMap<>(burst.mostWaiting()),
                        new java.util.TreeMap<>(burst.mostRssMiB())),
                refused == 0 && !burst.statuses().isEmpty()));
        checks.add(restart);
        String summary = String.format(
                Locale.ROOT,
                "(c) is %.1f %% and (d) %.1f %% of (a): no counting design can take (c) past (d).",
                100 * typical.requestsPerSecond() / ceiling.requestsPerSecond(),
                100 * floor.requestsPerSecond() / ceiling.requestsPerSecond());
        List<Load> loads = new ArrayList<>(List.of(cold, ceiling, direct));
        loads.addAll(balanced);
        loads.add(floor);
        String how = String.format(
                Locale.ROOT,
                "Load: wrk, %d connections, 2 threads, %d s measured after a %d s warm-up of the same URL"
                        + " (the cold start: %d s, no warm-up; (c): %d runs in a row after one warm-up).",
                options.connections(),
                options.duration().toSeconds(),
                options.warmup().toSeconds(),
                COLD_WINDOW.toSeconds(),
                options.repeats());
        return finish(report(stack, loads, how, summary, checks), checks);
    }

    /** Prints the report, writes it to the results file, and says whether every check passed (0) or not (1). */
    int finish(String report, List<Check> checks) throws IOException {
        out.println();
        out.println(report);
        Files.createDirectories(options.results().toAbsolutePath().getParent());
        Files.writeString(options.results(), report);
        out.println("(also in " + options.results() + ")");
        return checks.stream().allMatch(Check::passed) ? 0 : 1;
    }

    /** The run with the median throughput. */
    static Load median(List<Load> loads) {
        List<Load> sorted = loads.stream()
                .sorted(java.util.Comparator.comparingDouble(Load::requestsPerSecond))
                .toList();
        return sorted.get(sorted.size() / 2);
    }

    /**
     * {@code name} stopped and started again while wrk keeps (c)'s load on nginx: the others serve it, and the
     * new JVM starts on whatever CPU they leave. Its time to ready must be within the goal, the load must still
     * run when it is ready, and nginx must not fail a request meanwhile (it retries a refused one elsewhere).
     * It also reports the page loads nginx answered in the first {@link #COLD_WINDOW} after ready, against
     * {@code warm}: one cold replica beside two warm ones, what each step of a rolling restart costs.
     */
    private Check restartUnderLoad(LocalStack stack, String url, String name, Load warm) throws IOException {
        Duration load = Duration.ofSeconds(30);
        step("Time to ready under load: " + name + " restarted while wrk keeps (c)'s load on nginx (" + load.toSeconds()
                + " s)");
        CompletableFuture<String> wrk = CompletableFuture.supplyAsync(() -> capture(wrkCommand(url, load)));
        sleep(Duration.ofSeconds(3));
        long logFrom = Files.size(stack.accessLog());
        stack.stop(name);
        Duration ready = stack.start(name);
        long readyAt = Instant.now().getEpochSecond();
        boolean loaded = !wrk.isDone();
        Map<String, Long> v = wrkFigures(wrk.join());
        String rolling = rollingRestart(
                AccessLog.perSecond(stack.accessLog(), logFrom, Files.size(stack.accessLog())), readyAt, warm);
        progress(String.format(
                Locale.ROOT,
                "ready in %s%s; meanwhile %,d requests, %d errors; %s",
                seconds(ready),
                loaded ? "" : " (after the load ended)",
                v.get("requests"),
                errors(v),
                rolling));
        return new Check(
                "time to ready, " + name + " restarted while the others serve (c)'s load",
                "≤ " + GOAL_READY_UNDER_LOAD.toSeconds() + " s, no request failed",
                seconds(ready) + ", " + errors(v) + " errors"
                        + (loaded ? "" : ", the load had ended: not measured under load") + "; reported: " + rolling,
                loaded && errors(v) == 0 && ready.compareTo(GOAL_READY_UNDER_LOAD) <= 0);
    }

    /**
     * The page loads a second in the whole seconds after {@code readyAt}, from nginx's count per second, against
     * {@code warm}; "not measured" when the load ended too soon (nginx's last second, and the one before it, which
     * its buffered log may not have written whole, are not counted).
     */
    static String rollingRestart(Map<Long, Long> perSecond, long readyAt, Load warm) {
        long first = readyAt + 1;
        long last = first + COLD_WINDOW.toSeconds() - 1;
        long lastLogged =
                perSecond.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        if (last > lastLogged - 2) {
            return "the first " + COLD_WINDOW.toSeconds() + " s after ready not measured (the load ended first)";
        }
        double rate = perSecond.entrySet().stream()
                        .filter(e -> e.getKey() >= first && e.getKey() <= last)
                        .mapToLong(Map.Entry::getValue)
                        .sum()
                / (double) COLD_WINDOW.toSeconds();
        return String.format(
                Locale.ROOT,
                "the first %d s after ready (a rolling restart's step): %,.0f req/s through nginx," + " %.0f %% of (c)",
                COLD_WINDOW.toSeconds(),
                rate,
                100 * rate / warm.requestsPerSecond());
    }

    private List<Check> checks(Map<String, Long> rss, Map<String, Duration> ready) {
        long maxRss = rss.values().stream().mapToLong(Long::longValue).max().orElse(0);
        Duration slowest = ready.values().stream().max(Duration::compareTo).orElseThrow();
        return List.of(
                new Check(
                        "resident memory per replica under load",
                        "≤ " + GOAL_RSS_MIB + " MiB",
                        rss.entrySet().stream()
                                .sorted(Map.Entry.comparingByKey())
                                .map(e -> e.getKey() + " " + e.getValue() + " MiB")
                                .collect(Collectors.joining(", ")),
                        !rss.isEmpty() && maxRss <= GOAL_RSS_MIB),
                new Check(
                        "time to ready (start to /health/ready), alone",
                        "≤ " + GOAL_READY.toSeconds() + " s",
                        ready.entrySet().stream()
                                .map(e -> e.getKey() + " " + seconds(e.getValue()))
                                .collect(Collectors.joining(", ")),
                        slowest.compareTo(GOAL_READY) <= 0));
    }

    /** Exactly once: hey -n through nginx; every request must get a 2xx, and PostgreSQL's total grow by exactly that many. */
    Check exactlyOnce(LocalStack stack, String url) {
        int sent = checkRequests();
        step("Exactly once: hey -n " + sent + " -c " + options.connections() + " through nginx");
        long before = stack.total();
        Map<Integer, Long> statuses = hey(url, sent);
        long counted = stack.total() - before;
        long ok = statuses.entrySet().stream()
                .filter(e -> e.getKey() / 100 == 2)
                .mapToLong(Map.Entry::getValue)
                .sum();
        return new Check(
                "exactly once: PostgreSQL total grew by the 2xx count",
                "equal, every request 2xx",
                "hey " + sent + " requests: " + statuses + "; total +" + counted,
                counted == ok && ok == sent);
    }

    String report(LocalStack stack, List<Load> loads, String how, String summary, List<Check> checks) {
        StringBuilder md = new StringBuilder();
        md.append("## hits-lb bench, ")
                .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append("\n\n");
        md.append("Machine: ")
                .append(machine())
                .append(". nginx ")
                .append(NginxVersion.parse(NginxServer.version()))
                .append(", PostgreSQL ")
                .append(stack.psql("SHOW server_version"))
                .append(" (fsync ")
                .append(stack.psql("SHOW fsync"))
                .append(", synchronous_commit ")
                .append(stack.psql("SHOW synchronous_commit"))
                .append("), Java ")
                .append(Runtime.version().feature())
                .append(".\n");
        md.append(how).append("\n\n");
        md.append("| run | req/s | p50 | p99 | errors |\n|---|---:|---:|---:|---:|\n");
        for (Load load : loads) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %,.0f | %s | %s | %d |%n",
                    load.label(),
                    load.requestsPerSecond(),
                    ms(load.p50Ms()),
                    ms(load.p99Ms()),
                    load.errors()));
        }
        md.append("\n").append(summary).append("\n");
        md.append("\nWhere the CPU went: microseconds of CPU per request, by part (")
                .append(CpuMeter.REST)
                .append(" is the machine's busy time that no part accounts for).\n\n");
        // Every part any run measured, the machine's rest and total last; a part a run did not have shows as "-".
        List<String> parts = Stream.concat(
                        loads.stream()
                                .flatMap(l -> l.cpuMicros().keySet().stream())
                                .filter(p -> !p.equals(CpuMeter.REST) && !p.equals(CpuMeter.TOTAL)),
                        Stream.of(CpuMeter.REST, CpuMeter.TOTAL))
                .distinct()
                .toList();
        md.append("| run | ")
                .append(String.join(" | ", parts))
                .append(" |\n|---|")
                .append("---:|".repeat(parts.size()))
                .append("\n");
        for (Load load : loads) {
            md.append("| ")
                    .append(shortLabel(load.label()))
                    .append(" | ")
                    .append(parts.stream()
                            .map(p -> load.cpuMicros().containsKey(p)
                                    ? String.format(
                                            Locale.ROOT,
                                            "%.0f",
                                            load.cpuMicros().get(p))
                                    : "-")
                            .collect(Collectors.joining(" | ")))
                    .append(" |\n");
        }
        md.append("\n| check | goal | measured | |\n|---|---|---|---|\n");
        for (Check check : checks) {
            md.append("| ")
                    .append(check.what())
                    .append(" | ")
                    .append(check.goal())
                    .append(" | ")
                    .append(check.measured())
                    .append(" | ")
                    .append(check.passed() ? "pass" : "**FAIL**")
                    .append(" |\n");
        }
        return md.toString();
    }

    /**
     * The ceiling: nginx.conf exactly as the stack renders it, and an upstream block of three servers
     * that the same nginx answers itself with a fixed 200 (no replica, no database).
     */
    private NginxServer startCeiling(Path prefix, int port) throws IOException {
        List<Integer> trivialPorts = List.of(port + 1, port + 2, port + 3);
        Topology trivial = Topology.local("trivial", trivialPorts, Optional.empty());
        StringBuilder upstream = new StringBuilder(NginxConfig.upstream(
                Algorithm.ROUND_ROBIN, RenderTarget.LOCAL, trivial, NginxVersion.parse(NginxServer.version())));
        upstream.append("\n# bench: the trivial upstream, answered by this nginx itself.\n");
        for (int trivialPort : trivialPorts) {
            upstream.append("server {\n    listen 127.0.0.1:")
                    .append(trivialPort)
                    .append(";\n    access_log off;\n")
                    .append("    location / {\n        default_type application/json;\n")
                    .append("        return 200 '{\"instance\":\"trivial\",\"hits\":0}\\n';\n    }\n}\n");
        }
        NginxConfig.write(prefix, NginxConfig.main(RenderTarget.LOCAL, trivial, port), upstream.toString());
        NginxServer.check(prefix);
        return NginxServer.start(prefix, port, true);
    }

    private static Duration compilerCpu(LocalStack stack, List<String> replicas) {
        return replicas.stream()
                .map(n -> CpuMeter.compilerCpu(stack.pid(n).orElseThrow()))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** The stack's parts, by the processes they run as now; {@code extraNginx}: the ceiling's nginx. */
    static CpuMeter meter(LocalStack stack, List<String> replicas, long... extraNginx) {
        Map<String, List<Long>> parts = new LinkedHashMap<>();
        parts.put(
                "replicas",
                replicas.stream().map(n -> stack.pid(n).orElseThrow()).toList());
        parts.put("PostgreSQL", List.of(stack.pid("postgres").orElseThrow()));
        parts.put(
                "nginx",
                LongStream.concat(LongStream.of(stack.pid("nginx").orElseThrow()), LongStream.of(extraNginx))
                        .boxed()
                        .toList());
        parts.put("Redis", List.of(stack.pid("redis").orElseThrow()));
        return new CpuMeter(parts);
    }

    /** wrk for the warm-up, then {@link #measure}. */
    Load wrk(String label, String url, CpuMeter meter) {
        step(label + ": " + url);
        progress("warm-up " + options.warmup().toSeconds() + " s");
        capture(wrkCommand(url, options.warmup()));
        return measure(label, url, options.duration(), meter, false);
    }

    /** One wrk run of {@code duration} and the CPU it cost. */
    Load measure(String label, String url, Duration duration, CpuMeter meter) {
        return measure(label, url, duration, meter, true);
    }

    private Load measure(String label, String url, Duration duration, CpuMeter meter, boolean announce) {
        if (announce) {
            step(label + ": " + url);
        }
        progress("measuring " + duration.toSeconds() + " s");
        CpuMeter.Snapshot before = meter.take();
        String output = capture(wrkCommand(url, duration));
        CpuMeter.Snapshot after = meter.take();
        Map<String, Long> v = wrkFigures(output);
        Load load = new Load(
                label,
                v.get("requests") * 1e6 / v.get("duration_us"),
                v.get("p50_us") / 1000.0,
                v.get("p99_us") / 1000.0,
                v.get("requests"),
                errors(v),
                CpuMeter.perRequest(before, after, v.get("requests")));
        progress(String.format(
                Locale.ROOT,
                "%,.0f req/s, p50 %s, p99 %s, %d errors; CPU per request: %s",
                load.requestsPerSecond(),
                ms(load.p50Ms()),
                ms(load.p99Ms()),
                load.errors(),
                load.cpuMicros().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.0f us", e.getKey(), e.getValue()))
                        .collect(Collectors.joining(", "))));
        return load;
    }

    /** The figures wrk-report.lua prints on its BENCH line. */
    private static Map<String, Long> wrkFigures(String output) {
        Matcher line = WRK_LINE.matcher(output);
        if (!line.find()) {
            throw new IllegalStateException("wrk printed no BENCH line (" + WRK_REPORT + "):\n" + output);
        }
        Map<String, Long> v = new HashMap<>();
        for (String pair : line.group(1).trim().split(" ")) {
            String[] kv = pair.split("=");
            v.put(kv[0], Long.parseLong(kv[1]));
        }
        return v;
    }

    private static long errors(Map<String, Long> wrk) {
        return wrk.get("status_errors")
                + wrk.get("connect_errors")
                + wrk.get("read_errors")
                + wrk.get("write_errors")
                + wrk.get("timeouts");
    }

    List<String> wrkCommand(String url, Duration duration) {
        return List.of(
                Binaries.require("wrk").toString(),
                "-t2",
                "-c" + options.connections(),
                "-d" + duration.toSeconds() + "s",
                "--latency",
                "-s",
                WRK_REPORT.toString(),
                url);
    }

    /** hey sends n / c requests on each of its c connections: ask for a multiple of c, so all are sent. */
    private int checkRequests() {
        return options.checkRequests() / options.connections() * options.connections();
    }

    /**
     * What a burst did: hey's statuses and p99, the most page loads each replica held at once (its queue), and the
     * most memory each held (reported, not checked: the memory goal is for (c)'s load).
     */
    record Burst(
            Map<Integer, Long> statuses, double p99Ms, Map<String, Long> mostWaiting, Map<String, Long> mostRssMiB) {}

    /** Each replica's resident memory in MiB, by name, for a {@link HighestSampler}. */
    private static Map<String, Supplier<Optional<Long>>> rssProbes(LocalStack stack, List<String> replicas) {
        return replicas.stream().collect(Collectors.toMap(n -> n, n -> {
            long pid = stack.pid(n).orElseThrow();
            return () -> rssMiB(pid);
        }));
    }

    /**
     * BURST_CLIENTS clients as fast as they can for BURST through nginx, each replica's hits_waiting
     * sampled meanwhile. Beyond nginx's in-flight limit (1024) the excess would be shed at once with a
     * JSON 503; below it nothing may fail: neither a full accept queue nor nginx's failure detector.
     */
    private Burst burst(
            String url, Map<String, Integer> replicaPorts, Map<String, Supplier<Optional<Long>>> rssProbes) {
        step("Burst: hey -z " + BURST.toSeconds() + "s -c " + BURST_CLIENTS
                + " through nginx, each replica's queue and memory sampled");
        Map<String, Long> most = new ConcurrentHashMap<>();
        Map<String, Long> mostRss = new ConcurrentHashMap<>();
        String output;
        try (HighestSampler ignored = new HighestSampler(
                        replicaPorts.entrySet().stream()
                                .collect(Collectors.toMap(Map.Entry::getKey, e -> () -> waiting(e.getValue()))),
                        most);
                HighestSampler alsoIgnored = new HighestSampler(rssProbes, mostRss)) {
            output = capture(List.of(
                    Binaries.require("hey").toString(),
                    "-z",
                    BURST.toSeconds() + "s",
                    "-c",
                    Integer.toString(BURST_CLIENTS),
                    "-H",
                    "Accept: application/json",
                    url));
        }
        Map<Integer, Long> statuses = statuses(output);
        Matcher p99 = HEY_P99.matcher(output);
        double p99Ms = p99.find() ? Double.parseDouble(p99.group(1)) * 1000 : Double.NaN;
        progress("statuses " + statuses + ", p99 " + ms(p99Ms) + ", most waiting " + new java.util.TreeMap<>(most)
                + ", most resident (MiB) " + new java.util.TreeMap<>(mostRss));
        return new Burst(statuses, p99Ms, most, mostRss);
    }

    static Map<Integer, Long> statuses(String heyOutput) {
        Map<Integer, Long> statuses = new java.util.TreeMap<>();
        Matcher m = HEY_STATUS.matcher(heyOutput);
        while (m.find()) {
            statuses.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
        }
        return statuses;
    }

    Map<Integer, Long> hey(String url, int requests) {
        String output = capture(List.of(
                Binaries.require("hey").toString(),
                "-n",
                Integer.toString(requests),
                "-c",
                Integer.toString(options.connections()),
                "-H",
                "Accept: application/json",
                url));
        Map<Integer, Long> statuses = statuses(output);
        progress("statuses " + statuses);
        return statuses;
    }

    /** A load tool's output: it runs for its set time, so allow that and a margin. */
    String capture(List<String> command) {
        return capture(command, options.warmup().plus(options.duration()).plusSeconds(60));
    }

    String capture(List<String> command, Duration timeout) {
        return Commands.run(command, Map.of(), timeout);
    }

    /** A label up to its colon ("(c) run 2: 3 replicas ..." is "(c) run 2"): the CPU table's first column. */
    static String shortLabel(String label) {
        int colon = label.indexOf(':');
        return colon < 0 ? label : label.substring(0, colon);
    }

    static String machine() {
        String model = read(Path.of("/proc/cpuinfo"))
                .lines()
                .filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip())
                .findFirst()
                .orElse("unknown CPU");
        long memKiB = read(Path.of("/proc/meminfo"))
                .lines()
                .filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst()
                .orElse(0);
        return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), "
                + Math.round(memKiB / 1024.0 / 1024.0) + " GiB";
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    static String ms(double ms) {
        return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : "%.1f ms", ms);
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toMillis() / 1000.0);
    }

    void step(String message) {
        step(out, message);
    }

    void progress(String message) {
        progress(out, message);
    }

    /** A step of a long run, as every bench mode prints it. */
    static void step(PrintStream out, String message) {
        out.println("==> " + message);
    }

    /** What a step found or is doing, under it. */
    static void progress(PrintStream out, String message) {
        out.println("    " + message);
    }

    /** Keeps, per name, the highest value its probe gave, asked every 250 ms until closed. */
    private static final class HighestSampler implements AutoCloseable {
        private final Thread thread;

        HighestSampler(Map<String, Supplier<Optional<Long>>> probes, Map<String, Long> highest) {
            thread = Thread.ofPlatform().daemon().name("sampler").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    probes.forEach(
                            (name, probe) -> probe.get().ifPresent(value -> highest.merge(name, value, Math::max)));
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static Optional<Long> rssMiB(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "status"))
                .lines()
                .filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024)
                .findFirst();
    }

    /** The replica's hits_waiting (its queue) from its /metrics; empty when it does not answer. */
    private static Optional<Long> waiting(int port) {
        try {
            String metrics = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                    .timeout(Duration.ofSeconds(1))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            Matcher m = WAITING.matcher(metrics);
            return m.find() ? Optional.of((long) Double.parseDouble(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
