package dev.hitslb.bench;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench/run}: the performance goals, measured in one run. See docs/performance.md#what-each-run-measures. */
@Command(
        name = "bench/run",
        mixinStandardHelpOptions = true,
        description = {
            "The performance goals (docs/performance.md), measured in one run on this machine.",
            "Its own throwaway stack, started empty; the report also goes to bench/out/results.md. Exit 1 when a goal is missed."
        })
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--jar", hidden = true, defaultValue = "${env:SERVICE_JAR:-hits-service/target/hits-service.jar}")
    Path jar;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "19080",
            description =
                    "nginx's port, as for ./stack up; the ceiling's nginx uses PORT+30..PORT+33. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(
            names = "--connections",
            description = "wrk's connections; --algorithms: the load's workers, each with " + KeyedLoad.KEYS_PER_WORKER
                    + " clients. Default: 64; --algorithms: 32")
    Integer connections;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            description = "Default: 30; --algorithms: 40 per case (and 3 per algorithm)")
    Integer warmup;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "Default: 20; --algorithms: 15 per algorithm and case")
    Integer duration;

    @Option(
            names = "--check-requests",
            paramLabel = "N",
            defaultValue = "20000",
            description = "requests of the exactly-once check. Default: ${DEFAULT-VALUE}")
    int checkRequests;

    @Option(
            names = "--repeat",
            paramLabel = "N",
            defaultValue = "5",
            description =
                    "runs of (c) in a row, each --duration long; the p99 goal holds for every one. Default: ${DEFAULT-VALUE}")
    int repeats;

    @Option(
            names = "--soak",
            paramLabel = "MINUTES",
            defaultValue = "0",
            description = {
                "Instead of the standard run: the steady state. (c) fresh, then half its rate for MINUTES (at least "
                        + Soak.MIN_MINUTES
                        + ") with REQUEST_ID_RETENTION_SECONDS at half of that, then (c) again (docs/performance.md#steady-state)."
            })
    int soak;

    @Option(
            names = "--compose",
            description = {
                "Instead of the standard run: page loads a second through compose.yaml's stack"
                        + " against ./stack's, runs alternating, and where the difference goes. Needs a Docker engine (tools/docker-engine)."
            })
    boolean compose;

    @Option(
            names = "--algorithms",
            description = {
                "Instead of the standard run: every algorithm against the same hard cases"
                        + " (docs/algorithms.md), a fresh stack per case; tables in bench/out/algorithms.md, a chart per case beside it."
            })
    boolean algorithms;

    @Option(
            names = "--case",
            paramLabel = "NAME[,NAME...]",
            split = ",",
            description =
                    "--algorithms: the cases to run, of even, slow_network, hung, dead_and_back, starved_cpu, cold_join, skewed."
                            + " Default: all")
    List<String> cases;

    @Option(
            names = "--algorithm",
            paramLabel = "ALG[,ALG...]",
            split = ",",
            description = "--algorithms: the algorithms to run. Default: all this nginx has")
    List<String> algorithmIds;

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (algorithms) {
            if (compose || soak > 0) {
                throw new IllegalArgumentException("one of --algorithms, --compose and --soak at a time");
            }
            return algorithms();
        }
        int connections = this.connections == null ? 64 : this.connections;
        int warmup = this.warmup == null ? 30 : this.warmup;
        int duration = this.duration == null ? 20 : this.duration;
        if (connections < 2
                || warmup < 1
                || duration < 1
                || checkRequests < connections
                || repeats < 1
                || soak < 0
                || (compose && soak > 0)) {
            throw new IllegalArgumentException(
                    "bench needs --connections >= 2, --warmup and --duration >= 1 s, --check-requests >= --connections,"
                            + " --repeat >= 1 and --soak >= 0, and one of --soak and --compose at a time");
        }
        return new Bench(
                        new Bench.Options(
                                Path.of("bench", "out", compose ? "compose.md" : "results.md"),
                                jar,
                                port,
                                connections,
                                Duration.ofSeconds(warmup),
                                Duration.ofSeconds(duration),
                                checkRequests,
                                repeats,
                                Duration.ofMinutes(soak),
                                compose),
                        System.out)
                .run();
    }

    private int algorithms() throws IOException {
        int workers = connections == null ? 32 : connections;
        // 40 s: with 20, the first algorithm measured (round_robin) still met JVMs warming up (p99 17 ms in even,
        // against 8-10 ms for the rest).
        int warm = warmup == null ? 40 : warmup;
        int measured = duration == null ? 15 : duration;
        if (workers < 1 || warm < 1 || measured < 2) {
            throw new IllegalArgumentException(
                    "--algorithms needs --connections >= 1, --warmup >= 1 s and --duration >= 2 s");
        }
        List<Algorithms.Case> chosenCases = cases == null
                ? List.of(Algorithms.Case.values())
                : cases.stream()
                        .map(Algorithms.Case::fromId)
                        .sorted()
                        .distinct()
                        .toList();
        List<Algorithm> chosen = algorithmIds == null
                ? List.of(Algorithm.values())
                : algorithmIds.stream()
                        .map(Algorithm::fromId)
                        .sorted()
                        .distinct()
                        .toList();
        return new Algorithms(
                        new Algorithms.Options(
                                Path.of("bench", "out"),
                                jar,
                                port,
                                workers,
                                Duration.ofSeconds(warm),
                                Duration.ofSeconds(measured),
                                chosenCases,
                                chosen),
                        System.out)
                .run();
    }
}
