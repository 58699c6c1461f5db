package dev.hitslb.lb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders nginx configs from the templates in {@code lb-config/src/main/resources/nginx-templates/}:
 * the main config every algorithm shares ({@code nginx.conf}, with a part per target under
 * {@code compose/}, {@code local/} and {@code kubernetes/}) and one {@code upstream hits} block per algorithm
 * ({@code upstream/<algorithm>.conf}). The templates hold every directive, value and comment; this
 * class fills in what depends on the topology and the target, and refuses what nginx would refuse,
 * before nginx has to.
 */
public final class NginxConfig {
    private NginxConfig() {}

    /** The file compose mounts at /etc/nginx/conf.d/upstream.conf, and ./stack writes beside nginx.conf. */
    public static String upstreamFileName() {
        return "upstream.conf";
    }

    /**
     * The file nginx.conf includes wherever it adds headers, by a relative path: beside nginx.conf on every
     * target (compose mounts it at /etc/nginx/, Kubernetes puts it in the ConfigMap with nginx.conf).
     */
    public static final String RESPONSE_HEADERS = "response-headers.conf";

    /** The headers on every answer: {@value #RESPONSE_HEADERS}. */
    public static String responseHeaders() {
        return NginxTemplate.render(RESPONSE_HEADERS, Map.of());
    }

    /** Writes a runnable config into nginx's {@code prefix}: {@code main} as nginx.conf, with the files it includes. */
    public static void write(Path prefix, String main, String upstream) throws IOException {
        Files.createDirectories(prefix);
        Files.writeString(prefix.resolve("nginx.conf"), main);
        Files.writeString(prefix.resolve(upstreamFileName()), upstream);
        Files.writeString(prefix.resolve(RESPONSE_HEADERS), responseHeaders());
    }

    /**
     * The main config: process settings, logging, the proxy behaviour every algorithm shares, and the
     * server on {@code port} (compose: always 80 inside the container; kubernetes: always 8080, a port
     * the unprivileged nginx may open). It includes the upstream file.
     */
    public static String main(RenderTarget target, Topology topology, int port) {
        int servers = topology.replicas().size() + (topology.backup().isPresent() ? 1 : 0);
        String folder = target.id() + "/";
        return NginxTemplate.render(
                "nginx.conf",
                Map.of(
                        "main_context",
                        fragment(folder + "main-context.conf", Map.of()),
                        "http_context",
                        fragment(folder + "http-context.conf", Map.of()),
                        // Each server at most once per request: every replica, then the backup. On Kubernetes a
                        // line stands for as many servers as its Service has ready pods, so 0: every server.
                        "server_count",
                        target == RenderTarget.KUBERNETES ? "0" : Integer.toString(servers),
                        "listen",
                        switch (target) {
                            case COMPOSE -> "80";
                            case KUBERNETES -> Integer.toString(Topology.CONTAINER_PORT);
                            case LOCAL -> "127.0.0.1:" + port;
                        },
                        // compose mounts nginx/live there; ./stack writes it beside the config (nginx's prefix).
                        "live_dir",
                        target == RenderTarget.LOCAL ? "live/" : "/usr/share/nginx/live/"));
    }

    /**
     * The {@code upstream hits} block of {@code algorithm} over {@code topology}, for {@code nginx}.
     *
     * @throws UnsupportedConfigException when nginx would refuse it: a backup with a method that has
     *                                    none, sticky or compose's {@code resolve} on an older nginx
     */
    public static String upstream(Algorithm algorithm, RenderTarget target, Topology topology, NginxVersion nginx) {
        requireSupported(algorithm, target, topology, nginx);
        List<String> lines = new ArrayList<>();
        for (Replica replica : topology.replicas()) {
            lines.add(serverLine(algorithm, target, replica, false));
        }
        topology.backup()
                .ifPresent(backup -> lines.add(fragment(
                        "upstream/backup.conf", Map.of("server", serverLine(algorithm, target, backup, true)))));
        Map<String, String> values = new HashMap<>(Map.of(
                "target", target.id(),
                "minimum", minimum(algorithm, target).toString(),
                "servers",
                        fragment(
                                "upstream/servers.conf",
                                Map.of(
                                        "target_note", fragment(target.id() + "/upstream-servers.conf", Map.of()),
                                        "server_lines", String.join("\n", lines))),
                "keepalive", fragment("upstream/keepalive.conf", Map.of())));
        // nginx builds the consistent-hashing ring from each server line's name: with one name per
        // Service (Kubernetes) every key lands on that name and then rotates over its pods, so there
        // both hash methods pick by position; elsewhere by name, which survives a server re-added at
        // the end of the list (resolve).
        String placement = target == RenderTarget.KUBERNETES ? "by-position" : "consistent";
        if (algorithm == Algorithm.HASH) {
            values.put("hash_method", fragment("upstream/hash-" + placement + ".conf", Map.of()));
        }
        if (algorithm == Algorithm.IP_HASH) {
            values.put("ip_hash_method", fragment("upstream/ip-hash-" + placement + ".conf", Map.of()));
        }
        return NginxTemplate.render("upstream/" + algorithm.id() + ".conf", values) + "\n"
                + NginxTemplate.render("upstream/algorithm.conf", Map.of("algorithm", algorithm.id()));
    }

    /** The live page (GET /live/), which nginx serves as it is. */
    public static String livePage() {
        try (var in = NginxConfig.class.getResourceAsStream("/live/index.html")) {
            if (in == null) {
                throw new IllegalStateException("live/index.html is missing from lb-config's resources");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The oldest nginx that runs {@code algorithm}'s config for {@code target}. */
    public static NginxVersion minimum(Algorithm algorithm, RenderTarget target) {
        NginxVersion byTarget = target == RenderTarget.LOCAL ? NginxVersion.ANY : NginxVersion.RESOLVE;
        NginxVersion byMethod = algorithm.minimumNginx();
        NginxVersion min = byTarget.isAtLeast(byMethod) ? byTarget : byMethod;
        // zone (1.9.0), hash consistent (1.7.2), random (1.15.1), keepalive_timeout (1.15.3).
        return min.isAtLeast(new NginxVersion(1, 15, 3)) ? min : new NginxVersion(1, 15, 3);
    }

    private static void requireSupported(
            Algorithm algorithm, RenderTarget target, Topology topology, NginxVersion nginx) {
        if (topology.backup().isPresent() && !algorithm.allowsBackup()) {
            throw new UnsupportedConfigException("nginx does not allow a backup server with " + algorithm.id()
                    + " (it answers \"balancing method does not support parameter backup\"): drop "
                    + topology.backup().get().name() + " or pick one of "
                    + java.util.Arrays.stream(Algorithm.values())
                            .filter(Algorithm::allowsBackup)
                            .map(Algorithm::id)
                            .collect(Collectors.joining(", ")));
        }
        NginxVersion needed = minimum(algorithm, target);
        if (!nginx.isAtLeast(needed)) {
            String why = algorithm == Algorithm.STICKY && nginx.compareTo(NginxVersion.STICKY) < 0
                    ? "open-source nginx has `sticky` since 1.29.6"
                    : target != RenderTarget.LOCAL
                            ? "the " + target.id()
                                    + " target re-resolves names with `server ... resolve`, open source since 1.27.3"
                            : "it needs nginx " + needed;
            String hint = algorithm == Algorithm.STICKY
                    ? " Get one without touching the system: tools/modern-nginx fetch (./stack and the suites then use it;"
                            + " NGINX_BIN names another). Or use hash (consistent hashing on a cookie or header) or ip_hash for affinity on this nginx."
                    : "";
            throw new UnsupportedConfigException(algorithm.id() + " for the " + target.id() + " target needs nginx >= "
                    + needed + ", but this nginx is " + nginx + ": " + why + "." + hint);
        }
    }

    /** A template that is inserted into another one, without its final line break. */
    private static String fragment(String name, Map<String, String> values) {
        String text = NginxTemplate.render(name, values);
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    private static String serverLine(Algorithm algorithm, RenderTarget target, Replica replica, boolean backup) {
        StringBuilder params = new StringBuilder();
        if (target != RenderTarget.LOCAL) {
            params.append(" resolve");
        }
        if (algorithm == Algorithm.WEIGHTED && replica.weight() != 1) {
            params.append(" weight=").append(replica.weight());
        }
        if (algorithm == Algorithm.STICKY && target != RenderTarget.KUBERNETES) {
            // The cookie names the replica, not a hash of its address (see upstream/sticky.conf). Not
            // on Kubernetes: there one line stands for every pod of a Service, which would all share
            // one route; the address hash tells the pods apart.
            params.append(" route=").append(replica.name());
        }
        return fragment(
                "upstream/server.conf",
                Map.of(
                        "address",
                        replica.address(),
                        "parameters",
                        params.toString(),
                        "backup",
                        backup ? " backup" : "",
                        "name",
                        switch (target) {
                            case COMPOSE -> "";
                            case LOCAL -> "   # " + replica.name();
                            case KUBERNETES -> "   # Service " + replica.name() + ": a server per ready pod";
                        }));
    }
}
