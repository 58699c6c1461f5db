package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NginxConfigTest {
    private static final Topology LOCAL = Topology.local("hits", List.of(9001, 9002, 9003), Optional.of(9010));

    private static String local(Algorithm algorithm) {
        return NginxConfig.upstream(
                algorithm, RenderTarget.LOCAL, LOCAL.forAlgorithm(algorithm), NginxVersion.DEBIAN_12);
    }

    private static String compose(Algorithm algorithm) {
        return NginxConfig.upstream(
                algorithm,
                RenderTarget.COMPOSE,
                Topology.compose(3).forAlgorithm(algorithm),
                NginxVersion.COMPOSE_IMAGE);
    }

    private static String kubernetes(Algorithm algorithm) {
        return NginxConfig.upstream(
                algorithm, RenderTarget.KUBERNETES, Topology.kubernetes(algorithm), NginxVersion.COMPOSE_IMAGE);
    }

    private static List<String> serverLines(String config) {
        List<String> lines =
                config.lines().filter(l -> l.strip().startsWith("server ")).toList();
        assertThat(lines).as("server lines").isNotEmpty();
        return lines;
    }

    @ParameterizedTest
    @EnumSource(
            value = Algorithm.class,
            names = {"IP_HASH", "HASH", "RANDOM"})
    void backup_is_refused_with_methods_nginx_refuses_it_with(Algorithm algorithm) {
        assertThatThrownBy(() -> NginxConfig.upstream(algorithm, RenderTarget.LOCAL, LOCAL, NginxVersion.DEBIAN_12))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("does not allow a backup server with " + algorithm.id());
    }

    @ParameterizedTest
    @EnumSource(
            value = Algorithm.class,
            names = {"ROUND_ROBIN", "WEIGHTED", "LEAST_CONN", "STICKY"})
    void the_backup_is_a_standby_where_the_method_allows_one(Algorithm algorithm) {
        assertThat(compose(algorithm))
                .containsPattern(
                        "server hits-backup:8080 resolve( route=hits-backup)? max_fails=1 fail_timeout=5s backup;");
    }

    @Test
    void sticky_is_refused_for_an_nginx_older_than_1_29_6() {
        assertThatThrownBy(() -> local(Algorithm.STICKY))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("needs nginx >= 1.29.6, but this nginx is 1.22.1");
        assertThat(NginxConfig.upstream(Algorithm.STICKY, RenderTarget.LOCAL, LOCAL, NginxVersion.parse("1.29.6")))
                .contains("sticky cookie hits_route")
                .contains("server 127.0.0.1:9001 route=hits-1 max_fails=1");
    }

    @Test
    void a_replica_reached_through_a_proxy_keeps_its_name_weight_and_the_backup() {
        String config = NginxConfig.upstream(
                Algorithm.WEIGHTED,
                RenderTarget.LOCAL,
                Topology.local("hits", List.of(9001, 9002, 9003), Optional.of(9010))
                        .via("hits-1", "127.0.0.1", 9501),
                NginxVersion.DEBIAN_12);
        assertThat(config)
                .contains("server 127.0.0.1:9501 weight=3")
                .doesNotContain("127.0.0.1:9001")
                .contains("127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9010");
        assertThatThrownBy(() -> LOCAL.via("hits-9", "127.0.0.1", 9501)).hasMessage("no replica named hits-9");
    }

    @Test
    void the_compose_target_is_refused_for_an_nginx_without_resolve() {
        assertThatThrownBy(() -> NginxConfig.upstream(
                        Algorithm.ROUND_ROBIN, RenderTarget.COMPOSE, Topology.compose(3), NginxVersion.DEBIAN_12))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("resolve");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void compose_resolves_every_server_by_name_at_run_time(Algorithm algorithm) {
        String config = compose(algorithm);
        assertThat(config).contains("zone hits 64k;");
        assertThat(serverLines(config))
                .allSatisfy(line -> assertThat(line).matches("    server hits-(\\d|backup):8080 resolve .*"));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void kubernetes_names_a_headless_service_per_server_line_with_resolve(Algorithm algorithm) {
        String config = kubernetes(algorithm);
        assertThat(config).contains("zone hits 64k;");
        assertThat(serverLines(config))
                .allSatisfy(line -> assertThat(line)
                        .matches("    server hits(-heavy|-backup)?\\.hits-lb\\.svc\\.cluster\\.local:8080 resolve .*"));
        assertThat(config).contains("    server hits.hits-lb.svc.cluster.local:8080 resolve ");
        assertThat(
                        config.contains(
                                "server hits-backup.hits-lb.svc.cluster.local:8080 resolve max_fails=1 fail_timeout=5s backup;"))
                .as("a backup exactly where nginx allows one")
                .isEqualTo(algorithm.allowsBackup());
        assertThat(config.contains("hits-heavy"))
                .as("hits-heavy only under weighted")
                .isEqualTo(algorithm == Algorithm.WEIGHTED);
    }

    @Test
    void weighted_on_kubernetes_weighs_every_pod_of_the_heavy_deployment() {
        assertThat(kubernetes(Algorithm.WEIGHTED))
                .contains("    server hits-heavy.hits-lb.svc.cluster.local:8080 resolve weight=3 max_fails=1 ")
                .contains("    server hits.hits-lb.svc.cluster.local:8080 resolve max_fails=1 ");
    }

    @Test
    void hash_is_consistent_except_on_kubernetes_where_one_name_stands_for_every_pod() {
        // nginx keys the consistent-hashing ring by server name: with one name for three pods a key
        // would rotate over them (measured on 1.30.6), so kubernetes hashes by position instead.
        assertThat(compose(Algorithm.HASH)).contains("    hash $hits_client_key consistent;");
        assertThat(local(Algorithm.HASH)).contains("    hash $hits_client_key consistent;");
        assertThat(kubernetes(Algorithm.HASH))
                .contains("    hash $hits_client_key;\n")
                .doesNotContain(" consistent;");
        for (Algorithm other : Algorithm.values()) {
            if (other != Algorithm.HASH) {
                assertThat(kubernetes(other)).as(other.id()).doesNotContain("hash $hits_client_key");
            }
        }
    }

    @Test
    void ip_hash_places_networks_by_name_except_on_kubernetes() {
        // The compose rehearsal found nginx's ip_hash (by position) moving clients of replicas that
        // never went down when another was re-added at the end of the list; on Kubernetes one name
        // stands for every pod, so a ring keyed by name would give no affinity and ip_hash stays.
        assertThat(compose(Algorithm.IP_HASH))
                .contains("    hash $hits_client_network consistent;")
                .doesNotContain("    ip_hash;");
        assertThat(local(Algorithm.IP_HASH)).contains("    hash $hits_client_network consistent;");
        assertThat(kubernetes(Algorithm.IP_HASH)).contains("    ip_hash;\n").doesNotContain(" consistent;");
    }

    @Test
    void a_sticky_cookie_names_the_replica_except_on_kubernetes() {
        // route= survives a replica's new address (compose); on Kubernetes every pod of a line would share it.
        assertThat(compose(Algorithm.STICKY)).contains("server hits-1:8080 resolve route=hits-1 ");
        assertThat(kubernetes(Algorithm.STICKY)).doesNotContain("route=");
    }

    @Test
    void the_kubernetes_target_is_refused_for_an_nginx_without_resolve() {
        assertThatThrownBy(() -> NginxConfig.upstream(
                        Algorithm.ROUND_ROBIN,
                        RenderTarget.KUBERNETES,
                        Topology.kubernetes(Algorithm.ROUND_ROBIN),
                        NginxVersion.DEBIAN_12))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("the kubernetes target re-resolves names with `server ... resolve`");
    }

    @Test
    void the_kubernetes_main_config_asks_the_cluster_dns_and_writes_only_to_tmp() {
        String main = NginxConfig.main(RenderTarget.KUBERNETES, Topology.kubernetes(Algorithm.ROUND_ROBIN), 8080);
        assertThat(main)
                .contains(
                        "listen 8080;",
                        "resolver kube-dns.kube-system.svc.cluster.local valid=5s ipv6=off;",
                        "include /etc/nginx/hits/upstream.conf;",
                        "pid /tmp/nginx.pid;",
                        "proxy_temp_path /tmp/proxy;",
                        "access_log /dev/stdout upstream_log",
                        "error_log /dev/stderr",
                        // A Service name stands for as many servers as it has ready pods: every server.
                        "proxy_next_upstream_tries 0;");
        assertThat(main.lines().filter(l -> l.matches("\\s*(pid|\\w+_temp_path|access_log|error_log) .*")))
                .allSatisfy(l -> assertThat(l).matches("\\s*\\w+ (/tmp/|/dev/std|off;).*"));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, mode = EnumSource.Mode.EXCLUDE, names = "STICKY")
    void local_configs_use_no_directive_newer_than_debian_12(Algorithm algorithm) {
        String config = local(algorithm);
        assertThat(config).doesNotContain(" resolve").doesNotContain("sticky ");
        assertThat(config).contains("server 127.0.0.1:9001 ", "server 127.0.0.1:9003 ");
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, mode = EnumSource.Mode.EXCLUDE, names = "STICKY")
    void keepalive_follows_the_method_directive(Algorithm algorithm) {
        // nginx ignores a method that comes after `keepalive` (it silently falls back to round robin).
        String config = local(algorithm);
        String method = switch (algorithm) {
            case LEAST_CONN -> "least_conn;";
            case IP_HASH -> "hash $hits_client_network consistent;";
            case HASH -> "hash $hits_client_key consistent;";
            case RANDOM -> "random two least_conn;";
            default -> "zone hits 64k;";
        };
        assertThat(config.indexOf("\n    " + method)).as(method).isGreaterThan(0);
        assertThat(config.indexOf("keepalive 128;")).isGreaterThan(config.indexOf(method));
    }

    @Test
    void only_weighted_uses_the_topology_weights() {
        assertThat(local(Algorithm.WEIGHTED)).contains("server 127.0.0.1:9001 weight=3 ");
        assertThat(local(Algorithm.WEIGHTED)).doesNotContain("9002 weight=");
        for (Algorithm other : List.of(Algorithm.ROUND_ROBIN, Algorithm.LEAST_CONN, Algorithm.RANDOM)) {
            assertThat(local(other)).as(other.id()).doesNotContain("weight=");
        }
    }

    @Test
    void each_target_listens_resolves_and_includes_its_upstream_where_it_runs() {
        // Only what the renderer decides per target. What the shared settings do (keep-alive, retries,
        // forwarded headers, the log, the hidden version) is checked on a real nginx: NginxProxyIT.
        String local = NginxConfig.main(RenderTarget.LOCAL, LOCAL, 9000);
        assertThat(directive(local, "listen")).containsExactly("127.0.0.1:9000");
        assertThat(directive(local, "resolver"))
                .as("local: addresses, no names")
                .isEmpty();
        assertThat(directive(local, "include")).contains("upstream.conf");
        assertThat(directive(local, "proxy_next_upstream_tries"))
                .as("a try for each of the 3 replicas and the backup")
                .containsExactly("4");

        String compose = NginxConfig.main(RenderTarget.COMPOSE, Topology.compose(3), 80);
        assertThat(directive(compose, "listen")).containsExactly("80");
        assertThat(directive(compose, "resolver")).singleElement().asString().startsWith("127.0.0.11 valid=5s");
        assertThat(directive(compose, "include")).contains("/etc/nginx/conf.d/upstream.conf");
        assertThat(directive(compose, "proxy_next_upstream_tries")).containsExactly("4");
    }

    /** The values of every {@code name} directive in {@code config}, comments dropped, in order. */
    private static List<String> directive(String config, String name) {
        return config.lines()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> line.startsWith(name + " "))
                .map(line ->
                        line.substring(name.length() + 1, line.lastIndexOf(';')).strip())
                .toList();
    }

    @Test
    void every_block_that_adds_headers_includes_the_headers_of_every_answer() {
        // A location with add_header of its own inherits none of the server's (nginx's rule), so each
        // one includes the shared set too, or its answers go out without X-Request-Id. (NginxProxyIT
        // checks the headers on real answers.)
        String headers = NginxConfig.responseHeaders();
        assertThat(headers.lines().filter(l -> l.startsWith("add_header ")))
                .extracting(l -> l.split(" ")[1])
                .containsExactly("X-Request-Id", "X-Upstream");
        String include = "include " + NginxConfig.RESPONSE_HEADERS + ";";
        for (RenderTarget target : RenderTarget.values()) {
            String main = target == RenderTarget.KUBERNETES
                    ? NginxConfig.main(target, Topology.kubernetes(Algorithm.ROUND_ROBIN), 8080)
                    : NginxConfig.main(target, target == RenderTarget.COMPOSE ? Topology.compose(3) : LOCAL, 9000);
            String server = main.substring(main.indexOf("    server {"));
            assertThat(server.substring(0, server.indexOf("\n        location ")))
                    .as("%s: the server block", target)
                    .contains(include);
            String[] parts = server.split("\n        location ");
            List<String> locations = List.of(parts).subList(1, parts.length);
            assertThat(locations.stream()
                            .filter(l ->
                                    l.substring(0, l.indexOf("\n        }")).contains("add_header")))
                    .as("%s: locations that add headers", target)
                    .hasSizeGreaterThanOrEqualTo(4)
                    .allSatisfy(location -> assertThat(location.substring(0, location.indexOf("\n        }")))
                            .as(location.lines().findFirst().orElseThrow())
                            .contains(include)
                            .doesNotContain("add_header X-Request-Id", "add_header X-Upstream"));
        }
    }

    @Test
    void removing_a_replica_keeps_the_others_where_they_are() {
        String without = NginxConfig.upstream(
                Algorithm.HASH,
                RenderTarget.LOCAL,
                LOCAL.forAlgorithm(Algorithm.HASH).without("hits-2"),
                NginxVersion.DEBIAN_12);
        assertThat(without).contains("127.0.0.1:9001", "127.0.0.1:9003").doesNotContain("127.0.0.1:9002");
    }

    @Test
    void unknown_names_list_the_valid_ones() {
        assertThatThrownBy(() -> Algorithm.fromId("round-robin"))
                .hasMessage("unknown algorithm 'round-robin': expected one of "
                        + "round_robin, weighted, least_conn, ip_hash, hash, random, sticky");
        assertThatThrownBy(() -> RenderTarget.fromId("docker"))
                .hasMessageContaining("expected compose, local or kubernetes");
        assertThatThrownBy(() -> NginxVersion.parse("latest")).hasMessageContaining("not an nginx version");
    }

    @Test
    void versions_compare_numerically() {
        assertThat(NginxVersion.parse("nginx version: nginx/1.22.1")).isEqualTo(NginxVersion.DEBIAN_12);
        assertThat(NginxVersion.parse("1.29.10").isAtLeast(NginxVersion.STICKY)).isTrue();
        assertThat(NginxVersion.parse("1.3").isAtLeast(NginxVersion.parse("1.22.1")))
                .isFalse();
    }
}
