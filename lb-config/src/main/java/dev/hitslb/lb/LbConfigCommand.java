package dev.hitslb.lb;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code java -jar lb-config/target/lb-config.jar <command>}: render nginx configs. */
@Command(name = "lb-config", mixinStandardHelpOptions = true,
        description = "Renders the nginx config of each load-balancing algorithm.",
        subcommands = {LbConfigCommand.Render.class, LbConfigCommand.NginxDir.class})
public final class LbConfigCommand {
    public static void main(String[] args) {
        System.exit(Cli.commandLine(new LbConfigCommand()).execute(args));
    }

    /** Every algorithm's compose config, as committed in nginx/ (file name to content). */
    public static Map<String, String> composeFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        Topology topology = Topology.compose(3);
        files.put("nginx.conf", NginxConfig.main(RenderTarget.COMPOSE, topology, 80));
        for (Algorithm algorithm : Algorithm.values()) {
            files.put(algorithm.id() + ".conf", NginxConfig.upstream(algorithm, RenderTarget.COMPOSE,
                    topology.forAlgorithm(algorithm), NginxVersion.COMPOSE_IMAGE));
        }
        files.put("live/index.html", NginxConfig.livePage());
        return files;
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = {"Prints one algorithm's upstream block (or, with --main, the shared nginx.conf).",
                    "Local target: nginx on 127.0.0.1:PORT, hits-i on PORT+i, hits-backup on PORT+10 (as ./stack)."})
    static final class Render implements Callable<Integer> {
        @Option(names = {"-a", "--algorithm"}, paramLabel = "ALG", defaultValue = "round_robin",
                description = "round_robin, weighted, least_conn, ip_hash, hash, random or sticky (default: ${DEFAULT-VALUE})")
        String algorithm;

        @Option(names = {"-t", "--target"}, paramLabel = "TARGET", defaultValue = "compose",
                description = "compose or local (default: ${DEFAULT-VALUE})")
        String target;

        @Option(names = "--replicas", paramLabel = "N", defaultValue = "3", description = "replicas hits-1..hits-N (default: ${DEFAULT-VALUE})")
        int replicas;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "local target: nginx's port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--nginx-version", paramLabel = "VERSION",
                description = "the nginx that will run it (default: 1.30.0 for compose, 1.22.1 for local)")
        String nginxVersion;

        @Option(names = "--main", description = "print the shared nginx.conf instead of the upstream block")
        boolean main;

        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "write to FILE instead of stdout")
        Path out;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            RenderTarget t = RenderTarget.fromId(target);
            Algorithm a = Algorithm.fromId(algorithm);
            NginxVersion version = nginxVersion != null ? NginxVersion.parse(nginxVersion)
                    : t == RenderTarget.COMPOSE ? NginxVersion.COMPOSE_IMAGE : NginxVersion.DEBIAN_12;
            Topology topology = t == RenderTarget.COMPOSE ? Topology.compose(replicas) : Topology.local(Topology.COMPOSE_SERVICE, port, replicas);
            String text = main ? NginxConfig.main(t, topology, port) : NginxConfig.upstream(a, t, topology.forAlgorithm(a), version);
            if (out == null) {
                PrintWriter stdout = spec.commandLine().getOut();
                stdout.print(text);
                stdout.flush();
            } else {
                write(out, text);
            }
            return 0;
        }
    }

    @Command(name = "nginx-dir", mixinStandardHelpOptions = true,
            description = "Writes nginx.conf and every algorithm's compose config into DIR (the committed nginx/ folder).")
    static final class NginxDir implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", defaultValue = "nginx", description = "default: ${DEFAULT-VALUE}")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            composeFiles().forEach((name, text) -> {
                write(dir.resolve(name), text);
                spec.commandLine().getOut().println("wrote " + dir.resolve(name));
            });
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    private static void write(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }
}
