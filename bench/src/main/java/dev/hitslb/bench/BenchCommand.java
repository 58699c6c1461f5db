package dev.hitslb.bench;

import dev.hitslb.lb.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench/run}: the performance goals, measured in one run. See docs/performance.md#what-each-run-measures. */
@Command(name = "bench/run", mixinStandardHelpOptions = true,
        description = {"The performance goals (docs/performance.md), measured in one run on this machine.",
                "Its own throwaway stack, started empty; the report also goes to bench/out/results.md. Exit 1 when a goal is missed."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--jar", hidden = true, defaultValue = "${env:SERVICE_JAR:-hits-service/target/hits-service.jar}")
    Path jar;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "19080",
            description = "nginx's port, as for ./stack up; the ceiling's nginx uses PORT+30..PORT+33. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--connections", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}")
    int connections;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "30", description = "Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "20", description = "Default: ${DEFAULT-VALUE}")
    int duration;

    @Option(names = "--check-requests", paramLabel = "N", defaultValue = "20000",
            description = "requests of the exactly-once check. Default: ${DEFAULT-VALUE}")
    int checkRequests;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5",
            description = "runs of (c) in a row, each --duration long; the p99 goal holds for every one. Default: ${DEFAULT-VALUE}")
    int repeats;

    @Option(names = "--soak", paramLabel = "MINUTES", defaultValue = "0",
            description = {"Instead of the standard run: the steady state. (c) fresh, then half its rate for MINUTES (at least "
                    + Soak.MIN_MINUTES + ") with REQUEST_ID_RETENTION_SECONDS at half of that, then (c) again (docs/performance.md#steady-state)."})
    int soak;

    @Option(names = "--compose", description = {"Instead of the standard run: page loads a second through compose.yaml's stack"
            + " against ./stack's, runs alternating, and where the difference goes. Needs a Docker engine (tools/docker-engine)."})
    boolean compose;

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (connections < 2 || warmup < 1 || duration < 1 || checkRequests < connections || repeats < 1 || soak < 0 || (compose && soak > 0)) {
            throw new IllegalArgumentException("bench needs --connections >= 2, --warmup and --duration >= 1 s, --check-requests >= --connections,"
                    + " --repeat >= 1 and --soak >= 0, and one of --soak and --compose at a time");
        }
        return new Bench(new Bench.Options(Path.of("bench", "out", compose ? "compose.md" : "results.md"), jar, port, connections,
                Duration.ofSeconds(warmup), Duration.ofSeconds(duration), checkRequests, repeats, Duration.ofMinutes(soak), compose), System.out).run();
    }
}
