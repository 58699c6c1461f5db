package dev.hitslb.lb;

import java.util.stream.Collectors;

/**
 * Renders nginx configs: the main config every algorithm shares ({@code nginx.conf}) and one
 * {@code upstream hits} block per algorithm. Each non-default directive carries a comment on what it
 * does and why. Refuses what nginx would refuse, before nginx has to.
 */
public final class NginxConfig {
    /** The nginx.org reference of the proxy directives. */
    private static final String PROXY_DOCS = "https://nginx.org/en/docs/http/ngx_http_proxy_module.html";

    /**
     * Upstream keepalive: idle connections kept per worker. It must cover the requests a worker has in
     * flight at once, or every response beyond it closes its connection and the next request opens a
     * new one: with 32, 64 wrk connections left 8-17k sockets in TIME_WAIT after 10 s (~560 new
     * connections a second); with 128, about 100, and 5-20 % more page loads a second (bench/ load, ./stack).
     */
    static final int KEEPALIVE_CONNECTIONS = 128;
    /** Below Jetty's 30 s idle timeout, so nginx never reuses a connection the replica is closing. */
    static final String KEEPALIVE_TIMEOUT = "20s";
    static final String CONNECT_TIMEOUT = "1s";
    /** Twice the slowest answer a healthy replica gives: a 503 after DB_TIMEOUT_MS (900 ms). */
    static final String READ_TIMEOUT = "2s";
    static final String NEXT_UPSTREAM_TIMEOUT = "4s";
    static final int MAX_FAILS = 1;
    static final String FAIL_TIMEOUT = "5s";

    private NginxConfig() {
    }

    /** The file compose mounts at /etc/nginx/conf.d/upstream.conf, and ./stack writes beside nginx.conf. */
    public static String upstreamFileName() {
        return "upstream.conf";
    }

    /**
     * The main config: process settings, logging, the proxy behaviour every algorithm shares, and the
     * server on {@code port} (compose: always 80 inside the container). It includes the upstream file.
     */
    public static String main(Target target, Topology topology, int port) {
        int servers = topology.replicas().size() + (topology.backup().isPresent() ? 1 : 0);
        boolean compose = target == Target.COMPOSE;
        String header = compose
                ? """
                # nginx.conf: what every algorithm shares. compose.yaml mounts it at /etc/nginx/nginx.conf and
                # nginx/${LB_ALGORITHM}.conf (the upstream block) at /etc/nginx/conf.d/upstream.conf.
                # Rendered by lb-config; do not edit by hand. Regenerate nginx/ with:
                #   java -jar lb-config/target/lb-config.jar nginx-dir nginx
                """
                : """
                # nginx.conf for nginx on this machine (./stack, the test suites): run it with
                #   nginx -p <this folder> -c <this folder>/nginx.conf
                # Every path is relative to the -p prefix, so nginx needs no root and no system folders.
                # Rendered by lb-config.
                """;
        String processLevel = compose
                ? """
                worker_processes auto;          # one worker per core. Default: 1.
                error_log /dev/stderr notice;   # to `docker compose logs nginx`.
                pid /tmp/nginx.pid;
                """
                : """
                worker_processes auto;          # one worker per core. Default: 1.
                error_log logs/error.log notice;
                pid logs/nginx.pid;
                """;
        String paths = compose
                ? """
                    access_log /dev/stdout upstream_log buffer=64k flush=1s;

                    # Docker's embedded DNS, asked again every 5 s (it answers with a 600 s TTL), so a recreated
                    # replica with a new address is found without restarting nginx. See README, "The compose DNS
                    # pitfall". https://nginx.org/en/docs/http/ngx_http_core_module.html#resolver
                    resolver 127.0.0.11 valid=5s ipv6=off;
                    resolver_timeout 2s;

                    include /etc/nginx/conf.d/upstream.conf;   # upstream hits { ... }: the algorithm
                """
                : """
                    access_log logs/access.log upstream_log buffer=64k flush=1s;

                    # Temporary files inside the prefix, so an unprivileged nginx needs no system folders.
                    client_body_temp_path tmp/client_body;
                    proxy_temp_path tmp/proxy;
                    fastcgi_temp_path tmp/fastcgi;
                    uwsgi_temp_path tmp/uwsgi;
                    scgi_temp_path tmp/scgi;

                    include upstream.conf;   # upstream hits { ... }: the algorithm
                """;
        String listen = compose ? "listen 80;" : "listen 127.0.0.1:" + port + ";";
        return header + "\n" + processLevel + """

                events {
                    worker_connections 4096;    # per worker, clients and replicas together. Default: 512.
                }

                http {
                    server_tokens off;          # no nginx version in headers and error pages. Default: on.
                    default_type application/octet-stream;

                    # Who served each request, how it went, and the id the replicas deduplicate on.
                    # $upstream_addr and $upstream_status list every replica tried, so a retry shows as
                    # "127.0.0.1:8082, 127.0.0.1:8083  502, 200".
                    log_format upstream_log '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                                            'rt=$request_time upstream=$upstream_addr ustatus=$upstream_status '
                                            'urt=$upstream_response_time rid=$request_id';
                """ + paths + """

                    # --- to the replicas (%1$s) ---
                    # Keepalive to the replicas (with `keepalive` in the upstream block) needs HTTP/1.1 and no
                    # "Connection: close" header. Default: HTTP/1.0, and close after each request.
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    # The replicas count a page load once per X-Request-Id. nginx makes one id per client
                    # request, and a retry on another replica carries the same one, so it is not counted twice.
                    proxy_set_header X-Request-Id $request_id;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;

                    # --- failover ---
                    # A replica that is down refuses at once; one that hangs is given up on after these.
                    # Default: 60s each.
                    proxy_connect_timeout %2$s;
                    proxy_send_timeout %3$s;
                    proxy_read_timeout %3$s;   # twice the slowest healthy answer (a 503 after DB_TIMEOUT_MS=900ms)
                    # Try the next replica when one fails to connect, times out, or answers 502/503/504 (Jetty
                    # answers 503 while it shuts down gracefully). GET only: nginx never resends a POST.
                    # These failures also count towards max_fails (see the upstream block).
                    # Default: error timeout.
                    proxy_next_upstream error timeout http_502 http_503 http_504;
                    # Each server at most once per request: every replica, then the backup. With fewer tries
                    # a request that finds all replicas dead would fail before it reaches the backup.
                    proxy_next_upstream_tries %4$d;        # Default: 0 (every server).
                    proxy_next_upstream_timeout %5$s;      # bounds a request that meets hung replicas. Default: 0 (none).

                    server {
                        %6$s

                        location / {
                            proxy_pass http://hits;
                            # Which replica answered (all of them, comma separated, when nginx retried).
                            # `always`: on errors too. Default: add_header only on 2xx/3xx.
                            add_header X-Upstream $upstream_addr always;
                        }

                        # No replica could answer (all down, or all failed within fail_timeout): nginx answers
                        # itself, in the replicas' error format, instead of its HTML error page.
                        error_page 502 504 =503 @no_replica;
                        location @no_replica {
                            default_type application/json;
                            add_header X-Instance-Id nginx always;
                            add_header X-Upstream $upstream_addr always;
                            add_header Retry-After 1 always;
                            return 503 '{"error":"no replica is available, try again shortly","instance":"nginx"}\\n';
                        }

                        # Liveness of nginx itself, for healthchecks: never reaches a replica.
                        location = /nginx-health {
                            access_log off;
                            default_type application/json;
                            return 200 '{"status":"UP","instance":"nginx"}\\n';
                        }

                        # Connection counters for whoever is on this host only (a compose healthcheck, an
                        # operator with a shell); the published port is not 127.0.0.1, so the public gets 403.
                        location = /nginx-status {
                            stub_status;
                            access_log off;
                            allow 127.0.0.1;
                            deny all;
                        }
                    }
                }
                """.formatted(PROXY_DOCS, CONNECT_TIMEOUT, READ_TIMEOUT, servers, NEXT_UPSTREAM_TIMEOUT, listen);
    }

    /**
     * The {@code upstream hits} block of {@code algorithm} over {@code topology}, for {@code nginx}.
     *
     * @throws UnsupportedConfigException when nginx would refuse it: a backup with a method that has
     *                                    none, sticky or compose's {@code resolve} on an older nginx
     */
    public static String upstream(Algorithm algorithm, Target target, Topology topology, NginxVersion nginx) {
        requireSupported(algorithm, target, topology, nginx);
        boolean compose = target == Target.COMPOSE;
        StringBuilder out = new StringBuilder();
        out.append("# ").append(algorithm.id()).append(": ").append(algorithm.summary()).append(".\n");
        out.append(algorithm.notes());
        out.append(compose
                ? "# Rendered by lb-config for compose (nginx >= " + minimum(algorithm, target) + "); do not edit by hand.\n"
                : "# Rendered by lb-config for nginx on this machine (nginx >= " + minimum(algorithm, target) + ").\n");
        out.append(methodPrelude(algorithm));
        out.append("upstream hits {\n");
        out.append(methodDirective(algorithm));
        out.append("""
                    # Shared memory: every worker sees the same failures and the same rotation.%s
                    zone hits 64k;

                    # max_fails=%d fail_timeout=%s: one failed attempt (see proxy_next_upstream) takes a replica
                    # out for %s; then nginx tries it again with one request. Default: 1 and 10s.
                """.formatted(compose ? " Needed by `resolve`." : "", MAX_FAILS, FAIL_TIMEOUT, FAIL_TIMEOUT));
        if (compose) {
            out.append("    # resolve: the name is looked up again as the resolver's `valid` says (nginx >= 1.27.3).\n");
        }
        for (Replica replica : topology.replicas()) {
            out.append("    server ").append(replica.address()).append(serverParameters(algorithm, target, replica))
                    .append(";").append(compose ? "" : "   # " + replica.name()).append("\n");
        }
        topology.backup().ifPresent(backup -> out.append("    # Standby: gets requests only while every server above is down.\n")
                .append("    server ").append(backup.address())
                .append(serverParameters(algorithm, target, backup)).append(" backup;")
                .append(compose ? "" : "   # " + backup.name()).append("\n"));
        if (topology.backup().isEmpty() && !algorithm.allowsBackup()) {
            out.append("    # No backup server: nginx does not allow one with ").append(algorithm.id()).append(".\n");
        }
        if (algorithm == Algorithm.STICKY) {
            out.append("""

                        # The first response sets cookie hits_route (a hash of the replica's address); later
                        # requests carrying it go to that replica while it is up, and are balanced as new
                        # clients when it is not. Must follow the method directive. (nginx >= 1.29.6)
                        sticky cookie hits_route path=/ httponly;
                    """);
        }
        out.append("""

                    # Keep idle connections to the replicas instead of a new TCP connection per request:
                    # up to this many per worker, at least the requests a worker has in flight at once.
                    # Must follow the method directive. With proxy_http_version 1.1 and an empty Connection
                    # header in nginx.conf. Default: off (on since nginx 1.29.7).
                    keepalive %d;
                    keepalive_timeout %s;   # below Jetty's 30 s idle timeout. Default: 60s.
                }
                """.formatted(KEEPALIVE_CONNECTIONS, KEEPALIVE_TIMEOUT));
        return out.toString();
    }

    /** The oldest nginx that runs {@code algorithm}'s config for {@code target}. */
    public static NginxVersion minimum(Algorithm algorithm, Target target) {
        NginxVersion byTarget = target == Target.COMPOSE ? NginxVersion.RESOLVE : NginxVersion.ANY;
        NginxVersion byMethod = algorithm.minimumNginx();
        NginxVersion min = byTarget.isAtLeast(byMethod) ? byTarget : byMethod;
        // zone (1.9.0), hash consistent (1.7.2), random (1.15.1), keepalive_timeout (1.15.3).
        return min.isAtLeast(new NginxVersion(1, 15, 3)) ? min : new NginxVersion(1, 15, 3);
    }

    private static void requireSupported(Algorithm algorithm, Target target, Topology topology, NginxVersion nginx) {
        if (topology.backup().isPresent() && !algorithm.allowsBackup()) {
            throw new UnsupportedConfigException("nginx does not allow a backup server with " + algorithm.id()
                    + " (it answers \"balancing method does not support parameter backup\"): drop "
                    + topology.backup().get().name() + " or pick one of "
                    + java.util.Arrays.stream(Algorithm.values()).filter(Algorithm::allowsBackup).map(Algorithm::id)
                    .collect(Collectors.joining(", ")));
        }
        NginxVersion needed = minimum(algorithm, target);
        if (!nginx.isAtLeast(needed)) {
            String why = algorithm == Algorithm.STICKY && nginx.compareTo(NginxVersion.STICKY) < 0
                    ? "open-source nginx has `sticky` since 1.29.6"
                    : target == Target.COMPOSE ? "the compose target re-resolves names with `server ... resolve`, open source since 1.27.3"
                    : "it needs nginx " + needed;
            String hint = algorithm == Algorithm.STICKY
                    ? " Use hash (consistent hashing on a cookie or header) or ip_hash for affinity on this nginx, or the compose target (nginx 1.30)."
                    : "";
            throw new UnsupportedConfigException(algorithm.id() + " for the " + target.id() + " target needs nginx >= "
                    + needed + ", but this nginx is " + nginx + ": " + why + "." + hint);
        }
    }

    /** http-level lines an algorithm needs before its upstream block. */
    private static String methodPrelude(Algorithm algorithm) {
        if (algorithm != Algorithm.HASH) {
            return "\n";
        }
        return """

                # The client key: the X-Client-Id header, else the client_id cookie, else the client address.
                map $cookie_client_id $hits_cookie_or_addr {
                    ""      $remote_addr;
                    default $cookie_client_id;
                }
                map $http_x_client_id $hits_client_key {
                    ""      $hits_cookie_or_addr;
                    default $http_x_client_id;
                }

                """;
    }

    private static String methodDirective(Algorithm algorithm) {
        return switch (algorithm) {
            case ROUND_ROBIN, STICKY -> "    # No method directive: round robin is nginx's default.\n";
            case WEIGHTED -> "    # No method directive: round robin, weighted by each server's weight= (default 1).\n";
            case LEAST_CONN -> """
                        # Fewest requests in flight (idle keepalive connections do not count); ties go round robin.
                        least_conn;
                    """;
            case IP_HASH -> """
                        # The first three octets of the client's IPv4 address pick the replica.
                        ip_hash;
                    """;
            case HASH -> """
                        # ketama consistent hashing: removing one of N replicas moves only about 1/N of the keys.
                        hash $hits_client_key consistent;
                    """;
            case RANDOM -> """
                        # Power of two choices: two replicas at random, then the one with fewer requests in flight.
                        random two least_conn;
                    """;
        };
    }

    private static String serverParameters(Algorithm algorithm, Target target, Replica replica) {
        StringBuilder params = new StringBuilder();
        if (target == Target.COMPOSE) {
            params.append(" resolve");
        }
        if (algorithm == Algorithm.WEIGHTED && replica.weight() != 1) {
            params.append(" weight=").append(replica.weight());
        }
        params.append(" max_fails=").append(MAX_FAILS).append(" fail_timeout=").append(FAIL_TIMEOUT);
        return params.toString();
    }
}
