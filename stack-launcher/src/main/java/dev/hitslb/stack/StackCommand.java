package dev.hitslb.stack;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.Cli;
import dev.hitslb.servers.Logs;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./stack}: the whole topology on this machine, no Docker needed. See the README, "Run it". */
// scope INHERIT: every subcommand takes --help too (./stack up --help); `./stack help [COMMAND]` works as well.
@Command(
        name = "stack",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        version = "./stack of hits-lb, on Java ${java.version} (${java.vendor})",
        subcommands = CommandLine.HelpCommand.class,
        description = {
            "PostgreSQL, Redis, the service's replicas and nginx as local processes on 127.0.0.1.",
            "State, data and logs: .stack/ (git-ignored). NAME: postgres, redis, hits-1..hits-N, hits-backup, nginx",
            "(for another service, its name from META-INF/lb-service.properties in SERVICE_JAR instead of hits)."
        })
public final class StackCommand {
    @Option(names = "--home", hidden = true, defaultValue = "${env:HITS_STACK_HOME:-.stack}")
    Path home;

    @Option(names = "--jar", hidden = true, defaultValue = "${env:SERVICE_JAR:-hits-service/target/hits-service.jar}")
    Path jar;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new StackCommand()).execute(args));
    }

    @Command(name = "up", description = "Starts everything and returns once nginx answers.")
    int up(
            @Option(
                            names = {"-a", "--algorithm"},
                            paramLabel = "ALG",
                            defaultValue = "round_robin",
                            description =
                                    "round_robin, weighted, least_conn, ip_hash, hash, random (sticky needs nginx >= 1.29.6). Default: ${DEFAULT-VALUE}")
                    String algorithm,
            @Option(
                            names = "--replicas",
                            paramLabel = "N",
                            defaultValue = "3",
                            description = "hits-1..hits-N, 1..9. Default: ${DEFAULT-VALUE}")
                    int replicas,
            @Option(
                            names = "--port",
                            paramLabel = "PORT",
                            defaultValue = "8080",
                            description =
                                    "nginx's port; hits-i gets PORT+i, hits-backup PORT+10, PostgreSQL PORT+20, Redis PORT+21. Default: ${DEFAULT-VALUE}")
                    int port) {
        StackLayout layout = StackLayout.standard(home, Algorithm.fromId(algorithm), replicas, port, jar);
        // The last stack may have had other replicas or ports than this one: ask it, not the new layout.
        StackLayout.load(home).ifPresent(previous -> {
            if (!new LocalStack(previous, false, System.out).running().isEmpty()) {
                throw new IllegalStateException("the stack is already running (" + previous.algorithm() + " on "
                        + previous.url() + "): ./stack status shows it, ./stack down stops it");
            }
        });
        long t0 = System.nanoTime();
        new LocalStack(layout, false, System.out).up();
        String local = "localhost:" + port;
        System.out.printf(
                """

                %6$s is up in %.1f s: %s
                  try       for i in 1 2 3 4 5 6; do curl -s -H 'Accept: application/json' %s/; echo; done
                  watch     ./stack status   ./stack logs nginx   tail -f %s
                  failover  ./stack kill %5$s   (keep curling)   ./stack start %5$s
                  stop      ./stack down   (the count is kept; ./stack down && rm -rf .stack resets it)
                """,
                (System.nanoTime() - t0) / 1e9,
                layout.url(),
                local,
                Path.of("").toAbsolutePath().relativize(layout.dir("nginx").resolve("logs/access.log")),
                layout.replicaNames().get(Math.min(1, layout.replicaNames().size() - 1)),
                layout.title());
        return 0;
    }

    @Command(name = "status", description = "One line per process: NAME STATE pid=PID port=PORT.")
    int status() {
        current().status().forEach(System.out::println);
        return 0;
    }

    @Command(name = "stop", description = "Graceful stop (SIGTERM; PostgreSQL SIGINT, nginx SIGQUIT).")
    int stop(@Parameters(paramLabel = "NAME") String name) {
        current().stop(name);
        return reportState(name);
    }

    @Command(name = "kill", description = "SIGKILL: a crash.")
    int kill(@Parameters(paramLabel = "NAME") String name) {
        current().kill(name);
        return reportState(name);
    }

    @Command(name = "pause", description = "SIGSTOP: a hang.")
    int pause(@Parameters(paramLabel = "NAME") String name) {
        current().pause(name);
        return reportState(name);
    }

    @Command(name = "resume", description = "SIGCONT: back from a pause.")
    int resume(@Parameters(paramLabel = "NAME") String name) {
        current().resume(name);
        return reportState(name);
    }

    @Command(name = "start", description = "Starts one process again and waits until it is ready.")
    int start(@Parameters(paramLabel = "NAME") String name) {
        current().start(name);
        return 0;
    }

    @Command(name = "down", description = "Stops every process the stack started; the data is kept.")
    int down() {
        StackLayout.load(home)
                .ifPresentOrElse(
                        layout -> {
                            new LocalStack(layout, false, System.out).down();
                            System.out.println("hits-lb is down. ./stack up starts it again with the same data.");
                        },
                        () -> System.out.println("nothing to stop: no stack in " + home));
        return 0;
    }

    @Command(name = "logs", description = "The end of one process's log, and where the whole log is.")
    int logs(
            @Parameters(paramLabel = "NAME") String name,
            @Option(
                            names = {"-n", "--lines"},
                            defaultValue = "40",
                            description = "Default: ${DEFAULT-VALUE}")
                    int lines) {
        LocalStack stack = current();
        Path log = stack.log(name);
        System.out.println(Logs.tail(log, lines));
        System.out.println("(" + log + "; follow it with tail -F, which keeps up when it rotates"
                + (name.equals("nginx") ? ", requests are in " + stack.accessLog() : "") + ")");
        return 0;
    }

    @Command(
            name = "watch",
            description = {
                "One refreshing screen: each process's state, its answers a second, the total.",
                "The page loads a second each replica answers and nginx's errors (from its access log), and the",
                "total in PostgreSQL. q or Ctrl-C leaves."
            })
    int watch(
            @Option(
                            names = "--interval",
                            paramLabel = "SECONDS",
                            defaultValue = "1",
                            description = "Default: ${DEFAULT-VALUE}")
                    double interval,
            @Option(
                            names = "--frames",
                            paramLabel = "N",
                            defaultValue = "0",
                            description =
                                    "stop after N screens, printed one below the other (0: until q). Default: ${DEFAULT-VALUE}")
                    int frames)
            throws InterruptedException {
        if (interval < 0.2 || interval > 60 || frames < 0) {
            throw new IllegalArgumentException("watch needs --interval between 0.2 and 60 seconds and --frames >= 0");
        }
        boolean terminal = frames == 0 && System.console() != null;
        if (terminal) {
            Terminal.keysWithoutEnter(); // until this JVM exits, after q or Ctrl-C
        }
        new StackWatch(current(), System.out)
                .run(Duration.ofMillis(Math.round(interval * 1000)), frames, System.in, terminal);
        return 0;
    }

    private LocalStack current() {
        StackLayout layout = StackLayout.load(home)
                .orElseThrow(() -> new IllegalStateException(
                        "no stack in " + home + " yet: start one with ./stack up (./stack help lists the commands)"));
        return new LocalStack(layout, false, System.out);
    }

    private int reportState(String name) {
        LocalStack stack = current();
        System.out.println(name + " " + stack.state(name));
        return 0;
    }
}
