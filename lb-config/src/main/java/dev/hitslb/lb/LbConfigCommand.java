package dev.hitslb.lb;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code java -jar lb-config/target/lb-config.jar <command>}: render nginx configs. */
@Command(
        name = "lb-config",
        mixinStandardHelpOptions = true,
        description = "Renders the nginx config of each load-balancing algorithm.",
        subcommands = {LbConfigCommand.Render.class, LbConfigCommand.NginxDir.class, LbConfigCommand.K8sDir.class})
public final class LbConfigCommand {
    public static void main(String[] args) {
        System.exit(Cli.commandLine(new LbConfigCommand()).execute(args));
    }

    /** Every algorithm's compose config, as committed in nginx/ (file name to content). */
    public static Map<String, String> composeFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        Topology topology = Topology.compose(3);
        files.put("nginx.conf", NginxConfig.main(RenderTarget.COMPOSE, topology, 80));
        files.put(NginxConfig.RESPONSE_HEADERS, NginxConfig.responseHeaders());
        for (Algorithm algorithm : Algorithm.values()) {
            files.put(
                    algorithm.id() + ".conf",
                    NginxConfig.upstream(
                            algorithm,
                            RenderTarget.COMPOSE,
                            topology.forAlgorithm(algorithm),
                            NginxVersion.COMPOSE_IMAGE));
        }
        files.put("live/index.html", NginxConfig.livePage());
        return files;
    }

    /**
     * Every algorithm's kubernetes config, as committed in k8s/ (path under k8s/ to content): the shared
     * {@code base/nginx.conf} and each overlay's {@code overlays/<algorithm>/upstream.conf}, which
     * kustomize's configMapGenerator puts into the ConfigMap hits-nginx.
     */
    public static Map<String, String> kubernetesFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "base/nginx.conf",
                NginxConfig.main(
                        RenderTarget.KUBERNETES, Topology.kubernetes(Algorithm.ROUND_ROBIN), Topology.CONTAINER_PORT));
        files.put("base/" + NginxConfig.RESPONSE_HEADERS, NginxConfig.responseHeaders());
        for (Algorithm algorithm : Algorithm.values()) {
            files.put(
                    "overlays/" + algorithm.id() + "/" + NginxConfig.upstreamFileName(),
                    NginxConfig.upstream(
                            algorithm,
                            RenderTarget.KUBERNETES,
                            Topology.kubernetes(algorithm),
                            NginxVersion.COMPOSE_IMAGE));
        }
        files.put("base/live/index.html", NginxConfig.livePage());
        return files;
    }

    @Command(
            name = "render",
            mixinStandardHelpOptions = true,
            description = {
                "Prints one algorithm's upstream block (or, with --main, the shared nginx.conf).",
                "Local target: nginx on 127.0.0.1:PORT, hits-i on PORT+i, hits-backup on PORT+10 (as ./stack).",
                "Kubernetes target: one server line per headless Service (hits, hits-backup; hits-heavy for weighted)."
            })
    static final class Render implements Callable<Integer> {
        @Option(
                names = {"-a", "--algorithm"},
                paramLabel = "ALG",
                defaultValue = "round_robin",
                description =
                        "round_robin, weighted, least_conn, ip_hash, hash, random or sticky (default: ${DEFAULT-VALUE})")
        String algorithm;

        @Option(
                names = {"-t", "--target"},
                paramLabel = "TARGET",
                defaultValue = "compose",
                description = "compose, local or kubernetes (default: ${DEFAULT-VALUE})")
        String target;

        @Option(
                names = "--replicas",
                paramLabel = "N",
                defaultValue = "3",
                description =
                        "replicas hits-1..hits-N (default: ${DEFAULT-VALUE}; kubernetes: the Deployments' replicas decide)")
        int replicas;

        @Option(
                names = "--port",
                paramLabel = "PORT",
                defaultValue = "8080",
                description = "local target: nginx's port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(
                names = "--nginx-version",
                paramLabel = "VERSION",
                description =
                        "the nginx that will run it (default: 1.30.0 for compose and kubernetes, 1.22.1 for local)")
        String nginxVersion;

        @Option(names = "--main", description = "print the shared nginx.conf instead of the upstream block")
        boolean main;

        @Option(
                names = {"-o", "--out"},
                paramLabel = "FILE",
                description = "write to FILE instead of stdout")
        Path out;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            RenderTarget t = RenderTarget.fromId(target);
            Algorithm a = Algorithm.fromId(algorithm);
            NginxVersion version = nginxVersion != null
                    ? NginxVersion.parse(nginxVersion)
                    : t == RenderTarget.LOCAL ? NginxVersion.DEBIAN_12 : NginxVersion.COMPOSE_IMAGE;
            Topology topology = switch (t) {
                case COMPOSE -> Topology.compose(replicas);
                case LOCAL -> Topology.local(Topology.COMPOSE_SERVICE, port, replicas);
                case KUBERNETES -> Topology.kubernetes(a);
            };
            String text = main
                    ? NginxConfig.main(t, topology, port)
                    : NginxConfig.upstream(a, t, topology.forAlgorithm(a), version);
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

    /** Writes a set of rendered files into a folder, each under its relative path, and names each. */
    abstract static class WriteDir implements Callable<Integer> {
        private final String defaultDir;
        private final Supplier<Map<String, String>> files;

        @Parameters(
                paramLabel = "DIR",
                arity = "0..1",
                description = "default: nginx for nginx-dir, k8s for k8s-dir (the committed folders)")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        WriteDir(String defaultDir, Supplier<Map<String, String>> files) {
            this.defaultDir = defaultDir;
            this.files = files;
        }

        @Override
        public Integer call() {
            Path target = dir != null ? dir : Path.of(defaultDir);
            files.get().forEach((name, text) -> {
                write(target.resolve(name), text);
                spec.commandLine().getOut().println("wrote " + target.resolve(name));
            });
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(
            name = "nginx-dir",
            mixinStandardHelpOptions = true,
            description =
                    "Writes nginx.conf and every algorithm's compose config into DIR (the committed nginx/ folder).")
    static final class NginxDir extends WriteDir {
        NginxDir() {
            super("nginx", LbConfigCommand::composeFiles);
        }
    }

    @Command(
            name = "k8s-dir",
            mixinStandardHelpOptions = true,
            description =
                    "Writes the kubernetes nginx.conf (base/) and every algorithm's upstream.conf (overlays/<algorithm>/) into DIR (the committed k8s/ folder).")
    static final class K8sDir extends WriteDir {
        K8sDir() {
            super("k8s", LbConfigCommand::kubernetesFiles);
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
