package dev.hitslb.bench;

import dev.hitslb.lb.Replica;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.Commands;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.stack.StackLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code bench/run --compose}: page loads a second through the stack that compose.yaml and the
 * Dockerfile start, against ./stack's, on this machine in one run. Both stacks are up side by side;
 * only one is loaded at a time, and their runs alternate so that a machine that slows down costs both
 * alike. Three rows each time: ./stack through nginx; compose through the published port, as users
 * reach it; and compose through nginx's container address, which skips the Docker daemon's userland
 * port proxy (what {@code "userland-proxy": false} in the daemon's settings gives). The CPU each part
 * spent per request, the containers' processes included, says where the difference goes.
 */
final class ComposeComparison {
    /** The goal of issue 27: compose at least 0.8 of ./stack, on the path this project controls. */
    static final double GOAL = 0.80;

    static final String PROXY = "Docker's port proxy";
    private static final String PROJECT = "hits-lb-bench";
    private static final int PORT_OFFSET = 50;

    private final Bench bench;
    private final Bench.Options options;

    ComposeComparison(Bench bench, Bench.Options options) {
        this.bench = bench;
        this.options = options;
    }

    /** Checks for the engine before ./stack's stack starts, so a missing one costs nothing. */
    static void requireEngine() {
        Binaries.require("docker");
        try {
            Commands.run(List.of("docker", "compose", "version"), Map.of(), Duration.ofSeconds(20));
            Commands.run(List.of("docker", "info", "--format", "{{.ServerVersion}}"), Map.of(), Duration.ofSeconds(20));
        } catch (RuntimeException e) {
            throw new IllegalStateException("bench/run --compose needs a Docker engine with Compose v2: start one with"
                    + " `tools/docker-engine up && eval \"$(tools/docker-engine env)\"` (docs/testing.md), or set DOCKER_HOST. "
                    + e.getMessage());
        }
    }

    int run(LocalStack stack, StackLayout layout) throws IOException {
        int port = options.port() + PORT_OFFSET;
        bench.step("Starting compose.yaml's stack as project " + PROJECT + " on 127.0.0.1:" + port
                + " (docker compose up --build --wait)");
        Map<String, String> env = Map.of("LB_PORT", Integer.toString(port), "LB_ALGORITHM", "round_robin");
        // Inside the try: a failed or timed-out up leaves containers and a volume that down must remove too.
        RuntimeException failure = null;
        try {
            compose(env, Duration.ofMinutes(10), "up", "--build", "--wait");
            return measure(stack, layout, port);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            bench.step("Removing compose's stack (down -v)");
            try {
                compose(env, Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e); // the first failure is the one to see
            }
        }
    }

    private int measure(LocalStack stack, StackLayout layout, int port) throws IOException {
        List<String> replicas =
                layout.topology().replicas().stream().map(Replica::name).toList();
        String published = "http://127.0.0.1:" + port + "/";
        String direct = "http://"
                + container("nginx", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}")
                        .strip()
                        .split(" ")[0] + "/";
        CpuMeter stackMeter = Bench.meter(stack, replicas);
        CpuMeter composeMeter = composeMeter(port);

        bench.step("Warm-up: " + options.warmup().toSeconds() + " s on each stack");
        bench.capture(bench.wrkCommand(layout.url(), options.warmup()));
        bench.capture(bench.wrkCommand(published, options.warmup()));

        List<Bench.Load> local = new ArrayList<>();
        List<Bench.Load> viaProxy = new ArrayList<>();
        List<Bench.Load> viaAddress = new ArrayList<>();
        for (int run = 1; run <= options.repeats(); run++) {
            local.add(bench.measure("./stack, run " + run, layout.url(), options.duration(), stackMeter));
            viaProxy.add(bench.measure(
                    "compose by the published port, run " + run, published, options.duration(), composeMeter));
            viaAddress.add(bench.measure(
                    "compose by nginx's container address, run " + run, direct, options.duration(), composeMeter));
        }
        // Each round's ratio, then the median round: the machine's pace changes from round to round, and
        // a ratio within one round cancels that out.
        double viaPort = medianRatio(viaProxy, local);
        double viaNginx = medianRatio(viaAddress, local);
        long errors = errors(local) + errors(viaProxy) + errors(viaAddress);
        List<Bench.Check> checks = List.of(
                new Bench.Check(
                        "compose / ./stack by nginx's container address (the part this project controls), median round",
                        String.format(Locale.ROOT, "≥ %.2f", GOAL),
                        ratios(viaAddress, local, viaNginx),
                        viaNginx >= GOAL),
                new Bench.Check(
                        "compose / ./stack by the published port (with the daemon's userland proxy), median round",
                        "reported",
                        ratios(viaProxy, local, viaPort),
                        true),
                new Bench.Check(
                        "resident memory per replica after the runs",
                        "reported",
                        "./stack " + resident(stackPids(stack, replicas)) + "; compose "
                                + resident(composeReplicaPids()),
                        true),
                new Bench.Check("errors, every run", "0", Long.toString(errors), errors == 0));
        List<Bench.Load> loads = new ArrayList<>(local);
        loads.addAll(viaProxy);
        loads.addAll(viaAddress);
        String how = String.format(
                Locale.ROOT,
                "Load: wrk, %d connections, 2 threads, %d s per run after a %d s warm-up of each stack;"
                        + " %d rounds, each ./stack, then compose by its published port, then by nginx's container address. Both stacks"
                        + " round_robin over 3 replicas. Docker %s, Compose %s.",
                options.connections(),
                options.duration().toSeconds(),
                options.warmup().toSeconds(),
                options.repeats(),
                docker("info", "--format", "{{.ServerVersion}}").strip(),
                docker("compose", "version", "--short").strip());
        String summary = String.format(
                Locale.ROOT,
                "compose reached %.2f of ./stack's page loads a second by the published port and"
                        + " %.2f by nginx's container address (median rounds). %s took %.0f µs of CPU per request.",
                viaPort,
                viaNginx,
                PROXY,
                Bench.median(viaProxy).cpuMicros().getOrDefault(PROXY, 0.0));
        return bench.finish(bench.report(stack, loads, how, summary, checks), checks);
    }

    static double medianRatio(List<Bench.Load> compose, List<Bench.Load> stack) {
        double[] ratios = IntStream.range(0, stack.size())
                .mapToDouble(
                        i -> compose.get(i).requestsPerSecond() / stack.get(i).requestsPerSecond())
                .sorted()
                .toArray();
        return ratios[ratios.length / 2];
    }

    private static String ratios(List<Bench.Load> compose, List<Bench.Load> stack, double median) {
        return String.format(
                Locale.ROOT,
                "%.2f (rounds: %s)",
                median,
                IntStream.range(0, stack.size())
                        .mapToObj(i -> String.format(
                                Locale.ROOT,
                                "%,.0f / %,.0f",
                                compose.get(i).requestsPerSecond(),
                                stack.get(i).requestsPerSecond()))
                        .collect(Collectors.joining(", ")));
    }

    private static String resident(List<Long> pids) {
        return pids.stream()
                .map(pid -> Bench.rssMiB(pid).map(m -> m + " MiB").orElse("?"))
                .collect(Collectors.joining(", "));
    }

    private static List<Long> stackPids(LocalStack stack, List<String> replicas) {
        return replicas.stream().map(n -> stack.pid(n).orElseThrow()).toList();
    }

    private List<Long> composeReplicaPids() {
        return List.of(pid("hits-1"), pid("hits-2"), pid("hits-3"));
    }

    private static long errors(List<Bench.Load> loads) {
        return loads.stream().mapToLong(Bench.Load::errors).sum();
    }

    /** The same parts as ./stack's meter, by the containers' main processes, and the daemon's port proxy for {@code port}. */
    private CpuMeter composeMeter(int port) {
        Map<String, List<Long>> parts = new LinkedHashMap<>();
        parts.put("replicas", composeReplicaPids());
        parts.put("PostgreSQL", List.of(pid("postgres")));
        parts.put("nginx", List.of(pid("nginx")));
        parts.put("Redis", List.of(pid("redis")));
        parts.put(
                PROXY,
                ProcessHandle.allProcesses()
                        .filter(p -> p.info()
                                .commandLine()
                                .map(c -> c.contains("docker-proxy") && c.matches(".*-host-port " + port + "( .*)?"))
                                .orElse(false))
                        .map(ProcessHandle::pid)
                        .toList());
        return new CpuMeter(parts);
    }

    private long pid(String service) {
        return Long.parseLong(container(service, "{{.State.Pid}}").strip());
    }

    /** {@code docker inspect --format FORMAT} of the service's container. */
    private String container(String service, String format) {
        // The last line: compose may print warnings before the id.
        String id = compose(Map.of(), Duration.ofSeconds(30), "ps", "-q", service)
                .strip()
                .lines()
                .reduce("", (a, b) -> b)
                .strip();
        if (id.isEmpty()) {
            throw new IllegalStateException(
                    "compose's " + service + " is not running (docker compose -p " + PROJECT + " ps)");
        }
        return docker("inspect", "--format", format, id);
    }

    private String compose(Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(
                "docker",
                "compose",
                "-p",
                PROJECT,
                "-f",
                Path.of("compose.yaml").toString()));
        command.addAll(List.of(args));
        return Commands.run(command, env, timeout);
    }

    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return Commands.run(command, Map.of(), Duration.ofSeconds(30));
    }
}
