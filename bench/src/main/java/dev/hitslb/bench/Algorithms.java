package dev.hitslb.bench;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.NginxConfig;
import dev.hitslb.lb.NginxVersion;
import dev.hitslb.lb.RenderTarget;
import dev.hitslb.lb.Topology;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.SlowProxy;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.stack.StackLayout;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * {@code bench/run --algorithms}: every algorithm against the same hard cases (issue 30, docs/algorithms.md). Each
 * case gets a fresh stack (3 replicas and the backup, round_robin, shared warm-up); each algorithm in turn is then
 * served by reloading nginx with its config (the replicas keep running), warmed up briefly, and measured under the
 * same steady {@link KeyedLoad} while the case disturbs {@link #DISTURBED}.
 */
final class Algorithms {
    /** The replica every case disturbs: weight 1 under weighted, like the third. */
    static final String DISTURBED = "hits-2";

    private static final Duration SETTLE = Duration.ofSeconds(2);
    private static final Duration ALGORITHM_WARMUP = Duration.ofSeconds(3);
    /** What the slow_network case adds to the disturbed replica's answers (issue 30: 20 ms). */
    static final Duration SLOW_NETWORK_DELAY = Duration.ofMillis(20);

    private static final Set<Algorithm> AFFINE = Set.of(Algorithm.IP_HASH, Algorithm.HASH, Algorithm.STICKY);

    /** The hard cases, in the order they run. */
    enum Case {
        EVEN("three equal replicas"),
        SLOW_NETWORK("hits-2's answers held " + SLOW_NETWORK_DELAY.toMillis()
                + " ms on their way back, by a proxy on its path only"),
        HUNG("hits-2 paused (SIGSTOP) mid-run, then resumed (SIGCONT)"),
        DEAD_AND_BACK("hits-2 killed (SIGKILL) mid-run, then started again as ./stack start does"),
        STARVED_CPU("hits-2 held to " + CpuQuota.PERCENT + " % of one core by its cgroup's CPU quota"),
        COLD_JOIN("hits-2 restarted (a fresh JVM) just before the run, beside two warm replicas"),
        SKEWED("equal replicas; 80 % of the page loads from 20 % of the clients (affinity algorithms only)");

        final String what;

        Case(String what) {
            this.what = what;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Case fromId(String id) {
            for (Case c : values()) {
                if (c.id().equals(id)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown case '" + id + "': expected one of "
                    + java.util.Arrays.stream(values()).map(Case::id).collect(Collectors.joining(", ")));
        }

        boolean disturbs() {
            return this != EVEN && this != SKEWED;
        }
    }

    /**
     * @param disruptAt when the hung and dead cases disturb, into the measured run
     * @param holdFor   how long they last (paused; dead before the restart begins)
     */
    record Options(
            Path out,
            Path jar,
            int port,
            int workers,
            Duration warmup,
            Duration duration,
            List<Case> cases,
            List<Algorithm> algorithms) {
        Duration disruptAt() {
            return Duration.ofMillis(Math.min(3000, duration.toMillis() / 5));
        }

        Duration hold(Case c) {
            long left = duration.minus(disruptAt()).toMillis();
            long wanted = c == Case.HUNG ? 10_000 : 5_000;
            return Duration.ofMillis(Math.max(500, Math.min(wanted, left * 2 / 3)));
        }
    }

    private final Options options;
    private final PrintStream out;

    Algorithms(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the matrix, prints and writes the report and charts; 0 when every run was correct. */
    int run() throws IOException {
        dev.hitslb.servers.Binaries.require("psql");
        NginxVersion nginx = NginxVersion.parse(NginxServer.version());
        List<Algorithm> algorithms = options.algorithms().stream()
                .filter(a -> nginx.isAtLeast(a.minimumNginx()))
                .toList();
        List<String> skipped = options.algorithms().stream()
                .filter(a -> !algorithms.contains(a))
                .map(a -> a + " (needs nginx >= " + a.minimumNginx() + ", this is " + nginx + ")")
                .toList();
        Map<Case, List<AlgorithmReport.Run>> results = new LinkedHashMap<>();
        String versions = "";
        List<String> wrong = new ArrayList<>();
        String report = "";
        long t0 = System.nanoTime();
        for (Case c : options.cases()) {
            List<Algorithm> these = c == Case.SKEWED
                    ? algorithms.stream().filter(AFFINE::contains).toList()
                    : algorithms;
            if (these.isEmpty()) {
                continue;
            }
            long caseStart = System.nanoTime();
            Path home = ThrowawayDirs.create("bench-algorithms");
            StackLayout layout = StackLayout.standard(home, Algorithm.ROUND_ROBIN, 3, options.port(), options.jar());
            LocalStack stack = new LocalStack(layout, true, out, Map.of(), false);
            step("Case " + c.id() + ": " + c.what + "; a fresh stack in " + home);
            stack.up();
            try {
                if (versions.isEmpty()) {
                    versions = "nginx " + nginx + ", PostgreSQL " + stack.psql("SHOW server_version") + ", Java "
                            + Runtime.version().feature();
                }
                List<AlgorithmReport.Run> runs = runCase(c, these, stack, layout, nginx);
                results.put(c, runs);
                wrong.addAll(AlgorithmReport.verdict(c.id(), runs));
            } finally {
                step("Stopping the stack");
                stack.down();
            }
            progress(String.format(Locale.ROOT, "case %s took %.0f s", c.id(), (System.nanoTime() - caseStart) / 1e9));
            // After every case, so that a run stopped late keeps what it measured.
            report = report(results, versions, skipped, wrong, (System.nanoTime() - t0) / 1e9);
            write(c, results.get(c), report);
        }
        out.println();
        out.println(report);
        out.println("(also in " + options.out().resolve("algorithms.md") + ", charts algorithms-CASE.svg beside it)");
        return wrong.isEmpty() ? 0 : 1;
    }

    /** The report so far and {@code c}'s chart, into {@code options.out()}. */
    private void write(Case c, List<AlgorithmReport.Run> runs, String report) throws IOException {
        Files.createDirectories(options.out());
        Files.writeString(options.out().resolve("algorithms.md"), report);
        Files.writeString(
                options.out().resolve(chartName(c)),
                AlgorithmReport.chart(c.id() + ": " + c.what, runs, c == Case.SKEWED ? null : DISTURBED));
    }

    static String chartName(Case c) {
        return "algorithms-" + c.id() + ".svg";
    }

    private List<AlgorithmReport.Run> runCase(
            Case c, List<Algorithm> algorithms, LocalStack stack, StackLayout layout, NginxVersion nginx)
            throws IOException {
        progress("shared warm-up: " + options.warmup().toSeconds() + " s of the load, round_robin");
        new KeyedLoad("127.0.0.1", layout.nginxPort(), options.workers(), false).run(options.warmup());
        List<AlgorithmReport.Run> runs = new ArrayList<>();
        try (CpuQuota quota = c == Case.STARVED_CPU
                        ? CpuQuota.hold(stack.pid(DISTURBED).orElseThrow())
                        : null;
                SlowProxy slow =
                        c == Case.SLOW_NETWORK ? SlowProxy.start(layout.port(DISTURBED), SLOW_NETWORK_DELAY) : null) {
            if (quota != null) {
                progress(DISTURBED + " held to " + CpuQuota.PERCENT + " % of a core: " + quota.where());
            }
            if (slow != null) {
                progress("nginx reaches " + DISTURBED + " through a proxy on 127.0.0.1:" + slow.port()
                        + " that holds its answers " + SLOW_NETWORK_DELAY.toMillis() + " ms");
            }
            for (Algorithm algorithm : algorithms) {
                step(c.id() + ", " + algorithm);
                Topology topology = layout.topology(algorithm);
                if (slow != null) {
                    topology = topology.via(DISTURBED, "127.0.0.1", slow.port());
                }
                stack.reloadNginx(NginxConfig.upstream(algorithm, RenderTarget.LOCAL, topology, nginx));
                Bench.sleep(Duration.ofSeconds(1)); // the old workers finish; the new ones start with no failure state
                KeyedLoad load = new KeyedLoad("127.0.0.1", layout.nginxPort(), options.workers(), c == Case.SKEWED);
                load.run(shorter(
                        ALGORITHM_WARMUP, options.warmup())); // the same clients, so sticky's have their cookies
                if (c == Case.COLD_JOIN) {
                    stack.stop(DISTURBED);
                    progress(DISTURBED + " restarted: ready in "
                            + stack.start(DISTURBED).toMillis() + " ms");
                }
                runs.add(measure(c, algorithm, load, stack));
                if (c == Case.DEAD_AND_BACK || c == Case.COLD_JOIN) {
                    // The restarted replica is a cold JVM: warm it directly, so the next algorithm meets a warm one.
                    new KeyedLoad("127.0.0.1", layout.port(DISTURBED), options.workers(), false)
                            .run(shorter(Duration.ofSeconds(10), options.warmup()));
                }
            }
        }
        return runs;
    }

    private AlgorithmReport.Run measure(Case c, Algorithm algorithm, KeyedLoad load, LocalStack stack)
            throws IOException {
        long totalBefore = stack.total();
        long logFrom = Files.size(stack.accessLog());
        CompletableFuture<String> disruption = CompletableFuture.supplyAsync(() -> disrupt(c, stack));
        List<KeyedLoad.Answer> answers;
        try {
            answers = load.run(options.duration());
        } finally {
            disruption.join(); // hits-2 back, whatever the load did, before anything else: the stack's down included
        }
        String disrupted = disruption.join();
        Bench.sleep(SETTLE); // nginx flushes its log each second; a resumed replica finishes what it held
        long counted = stack.total() - totalBefore;
        long retried = AccessLog.retried(stack.accessLog(), logFrom, Files.size(stack.accessLog()));
        AlgorithmReport.Run run = summarize(algorithm.id(), answers, retried, AFFINE.contains(algorithm), counted);
        progress(String.format(
                Locale.ROOT,
                "%s%,d page loads: %s; p50 %s, p99 %s, max %s; %d failed, %d retried by nginx%s; " + "PostgreSQL +%d",
                disrupted.isEmpty() ? "" : disrupted + "; ",
                run.ok(),
                run.served().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.1f %%", e.getKey(), run.share(e.getKey())))
                        .collect(Collectors.joining(", ")),
                Bench.ms(run.p50Ms()),
                Bench.ms(run.p99Ms()),
                Bench.ms(run.maxMs()),
                run.failed(),
                run.retried(),
                run.clientsChanged() < 0 ? "" : ", " + run.clientsChanged() + " clients changed replica",
                run.counted()));
        return run;
    }

    /** What the case does to {@link #DISTURBED} during the measured run, in its own thread; what happened, for the log. */
    private String disrupt(Case c, LocalStack stack) {
        if (c != Case.HUNG && c != Case.DEAD_AND_BACK) {
            return "";
        }
        Duration at = options.disruptAt();
        Duration hold = options.hold(c);
        Bench.sleep(at);
        if (c == Case.HUNG) {
            stack.pause(DISTURBED);
            Bench.sleep(hold);
            stack.resume(DISTURBED);
            return String.format(
                    Locale.ROOT,
                    "%s paused at %.1f s for %.1f s",
                    DISTURBED,
                    at.toMillis() / 1e3,
                    hold.toMillis() / 1e3);
        }
        stack.kill(DISTURBED);
        Bench.sleep(hold);
        Duration ready = stack.start(DISTURBED);
        return String.format(
                Locale.ROOT,
                "%s killed at %.1f s, started %.1f s later, ready in %d ms",
                DISTURBED,
                at.toMillis() / 1e3,
                hold.toMillis() / 1e3,
                ready.toMillis());
    }

    /** One run's figures from its answers. */
    static AlgorithmReport.Run summarize(
            String algorithm, List<KeyedLoad.Answer> answers, long retried, boolean affine, long counted) {
        Map<String, Long> served = new TreeMap<>();
        Map<Integer, Set<String>> byClient = new TreeMap<>();
        long[] micros =
                answers.stream().mapToLong(KeyedLoad.Answer::micros).sorted().toArray();
        long failed = 0;
        for (KeyedLoad.Answer a : answers) {
            if (a.ok()) {
                served.merge(a.instance(), 1L, Long::sum);
                byClient.computeIfAbsent(a.key(), k -> new HashSet<>()).add(a.instance());
            } else {
                failed++;
            }
        }
        int changed = (int) byClient.values().stream().filter(s -> s.size() > 1).count();
        return new AlgorithmReport.Run(
                algorithm,
                served,
                percentile(micros, 0.50) / 1000.0,
                percentile(micros, 0.99) / 1000.0,
                micros.length == 0 ? 0 : micros[micros.length - 1] / 1000.0,
                failed,
                retried,
                affine ? changed : -1,
                byClient.size(),
                counted);
    }

    /** The nearest-rank percentile of sorted values; 0 for none. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private String report(
            Map<Case, List<AlgorithmReport.Run>> results,
            String versions,
            List<String> skipped,
            List<String> wrong,
            double seconds) {
        StringBuilder md = new StringBuilder("## hits-lb: every algorithm against the same hard cases, ")
                .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append("\n\n");
        md.append("Machine: ")
                .append(Bench.machine())
                .append(". ")
                .append(versions)
                .append(".\n");
        md.append(String.format(
                Locale.ROOT,
                "Load: %d clients (%d keep-alive connections, each from its own 127.A.B.1 with its own"
                        + " X-Client-Id and cookie jar), one request at a time each; per algorithm %d s measured after %d s of warm-up;"
                        + " a fresh stack per case, warmed up %d s. The whole run took %.0f s.%n",
                options.workers() * KeyedLoad.KEYS_PER_WORKER,
                options.workers(),
                options.duration().toSeconds(),
                shorter(ALGORITHM_WARMUP, options.warmup()).toSeconds(),
                options.warmup().toSeconds(),
                seconds));
        if (!skipped.isEmpty()) {
            md.append("Not run: ").append(String.join(", ", skipped)).append(".\n");
        }
        for (Map.Entry<Case, List<AlgorithmReport.Run>> e : results.entrySet()) {
            Case c = e.getKey();
            md.append("\n### ").append(c.id()).append(": ").append(c.what);
            if (c == Case.HUNG || c == Case.DEAD_AND_BACK) {
                md.append(String.format(
                        Locale.ROOT,
                        " (at %.0f s, for %.0f s)",
                        options.disruptAt().toMillis() / 1e3,
                        options.hold(c).toMillis() / 1e3));
            }
            md.append("\n\n").append(AlgorithmReport.table(e.getValue(), c.disturbs() ? DISTURBED : null));
        }
        md.append("\n");
        if (wrong.isEmpty()) {
            md.append("Every run counted each page load exactly once, and no request failed.\n");
        } else {
            md.append("**Not correct:**\n\n");
            wrong.forEach(w -> md.append("- ").append(w).append("\n"));
        }
        return md.toString();
    }

    private static Duration shorter(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void step(String message) {
        Bench.step(out, message);
    }

    private void progress(String message) {
        Bench.progress(out, message);
    }

    /**
     * A CPU quota on one process, through its cgroup: cgroup v1's cpu controller (cpu.cfs_quota_us) or cgroup v2's
     * cpu.max. Needs root (or a delegated cgroup); undone on close, the process put back where it was.
     */
    static final class CpuQuota implements AutoCloseable {
        static final int PERCENT = 20;
        private static final Path V1 = Path.of("/sys/fs/cgroup/cpu");
        private static final Path V2 = Path.of("/sys/fs/cgroup");
        private final long pid;
        private final Path group;
        private final Path home;

        private CpuQuota(long pid, Path group, Path home) {
            this.pid = pid;
            this.group = group;
            this.home = home;
        }

        static CpuQuota hold(long pid) throws IOException {
            String name = "hits-lb-bench-" + ProcessHandle.current().pid();
            if (Files.isRegularFile(V1.resolve("cpu.cfs_quota_us"))) {
                Path group = V1.resolve(name);
                Files.createDirectories(group);
                return inGroup(group, () -> {
                    Files.writeString(group.resolve("cpu.cfs_period_us"), "100000");
                    Files.writeString(group.resolve("cpu.cfs_quota_us"), Integer.toString(PERCENT * 1000));
                    return move(pid, group, V1.resolve(current(pid, "cpu").substring(1)));
                });
            }
            if (Bench.read(V2.resolve("cgroup.controllers")).contains("cpu")) {
                Path home = V2.resolve(current(pid, "").substring(1));
                Path group = V2.resolve(name);
                // Lets the root's children limit CPU; left on afterwards (it limits nothing by itself).
                Files.writeString(V2.resolve("cgroup.subtree_control"), "+cpu");
                Files.createDirectories(group);
                return inGroup(group, () -> {
                    Files.writeString(group.resolve("cpu.max"), PERCENT * 1000 + " 100000");
                    return move(pid, group, home);
                });
            }
            throw new IllegalStateException("no cgroup CPU controller to hold a replica with: neither " + V1
                    + "/cpu.cfs_quota_us nor" + " cpu in " + V2
                    + "/cgroup.controllers (the starved_cpu case needs root and cgroup v1 or v2 with cpu)");
        }

        /** The cgroup path of {@code pid} for {@code controller} ("" for cgroup v2) from /proc/PID/cgroup. */
        private static String current(long pid, String controller) {
            return Bench.read(Path.of("/proc", Long.toString(pid), "cgroup"))
                    .lines()
                    .map(l -> l.split(":", 3))
                    .filter(f -> f.length == 3 && List.of(f[1].split(",")).contains(controller)
                            || f.length == 3 && controller.isEmpty() && f[1].isEmpty())
                    .map(f -> f[2])
                    .findFirst()
                    .orElse("/");
        }

        private interface Setup {
            CpuQuota run() throws IOException;
        }

        /** Runs {@code setup} on the new {@code group}; if it fails, removes the group, which is still empty. */
        private static CpuQuota inGroup(Path group, Setup setup) throws IOException {
            try {
                return setup.run();
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(group);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }

        private static CpuQuota move(long pid, Path group, Path home) throws IOException {
            Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
            return new CpuQuota(pid, group, home);
        }

        String where() {
            return group.toString();
        }

        @Override
        public void close() throws IOException {
            if (ProcessHandle.of(pid).isPresent()) {
                Files.writeString(home.resolve("cgroup.procs"), Long.toString(pid));
            }
            Files.deleteIfExists(group);
        }
    }
}
