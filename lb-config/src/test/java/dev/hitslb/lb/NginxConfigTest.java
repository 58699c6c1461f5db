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
        return NginxConfig.upstream(algorithm, RenderTarget.LOCAL, LOCAL.forAlgorithm(algorithm), NginxVersion.DEBIAN_12);
    }

    private static String compose(Algorithm algorithm) {
        return NginxConfig.upstream(algorithm, RenderTarget.COMPOSE, Topology.compose(3).forAlgorithm(algorithm),
                NginxVersion.COMPOSE_IMAGE);
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"IP_HASH", "HASH", "RANDOM"})
    void backup_is_refused_with_methods_nginx_refuses_it_with(Algorithm algorithm) {
        assertThatThrownBy(() -> NginxConfig.upstream(algorithm, RenderTarget.LOCAL, LOCAL, NginxVersion.DEBIAN_12))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("does not allow a backup server with " + algorithm.id());
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED", "LEAST_CONN", "STICKY"})
    void the_backup_is_a_standby_where_the_method_allows_one(Algorithm algorithm) {
        assertThat(compose(algorithm)).contains("server hits-backup:8080 resolve max_fails=1 fail_timeout=5s backup;");
    }

    @Test
    void sticky_is_refused_for_an_nginx_older_than_1_29_6() {
        assertThatThrownBy(() -> local(Algorithm.STICKY))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("needs nginx >= 1.29.6, but this nginx is 1.22.1");
        assertThat(NginxConfig.upstream(Algorithm.STICKY, RenderTarget.LOCAL, LOCAL, NginxVersion.parse("1.29.6")))
                .contains("sticky cookie hits_route");
    }

    @Test
    void the_compose_target_is_refused_for_an_nginx_without_resolve() {
        assertThatThrownBy(() -> NginxConfig.upstream(Algorithm.ROUND_ROBIN, RenderTarget.COMPOSE, Topology.compose(3),
                NginxVersion.DEBIAN_12))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("resolve");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void compose_resolves_every_server_by_name_at_run_time(Algorithm algorithm) {
        String config = compose(algorithm);
        assertThat(config).contains("zone hits 64k;");
        assertThat(config.lines().filter(l -> l.strip().startsWith("server ")))
                .isNotEmpty()
                .allSatisfy(line -> assertThat(line).matches("    server hits-(\\d|backup):8080 resolve .*"));
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
            case IP_HASH -> "ip_hash;";
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
    void the_shared_config_sets_the_proxy_behaviour_every_algorithm_relies_on() {
        String main = NginxConfig.main(RenderTarget.LOCAL, LOCAL, 9000);
        assertThat(main).contains(
                "listen 127.0.0.1:9000;",
                "proxy_http_version 1.1;",
                "proxy_set_header Connection \"\";",
                "proxy_set_header X-Request-Id $request_id;",
                "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "proxy_set_header X-Forwarded-Proto $scheme;",
                "add_header X-Upstream $upstream_addr always;",
                "proxy_next_upstream error timeout http_502 http_503 http_504;",
                "proxy_next_upstream_tries 4;",
                "server_tokens off;",
                "$upstream_addr", "$upstream_status", "$upstream_response_time", "$request_id",
                "location = /nginx-health",
                "stub_status;");
        assertThat(main).doesNotContain("resolver ").contains("include upstream.conf;");
        assertThat(NginxConfig.main(RenderTarget.COMPOSE, Topology.compose(3), 80))
                .contains("listen 80;", "resolver 127.0.0.11 valid=5s", "include /etc/nginx/conf.d/upstream.conf;");
    }

    @Test
    void every_location_that_adds_headers_repeats_the_request_id() {
        // A location with add_header of its own inherits none of the server's (nginx's rule), so each
        // one must repeat X-Request-Id, or its answers go out without it.
        String main = NginxConfig.main(RenderTarget.LOCAL, LOCAL, 9000);
        String server = main.substring(main.indexOf("    server {"));
        assertThat(server.substring(0, server.indexOf("\n        location ")))
                .contains("add_header X-Request-Id $request_id always;");
        String[] parts = server.split("\n        location ");
        List<String> locations = List.of(parts).subList(1, parts.length);
        assertThat(locations).isNotEmpty().allSatisfy(location -> {
            String block = location.substring(0, location.indexOf("\n        }"));
            if (block.contains("add_header")) {
                assertThat(block).as(block.lines().findFirst().orElseThrow())
                        .contains("add_header X-Request-Id $request_id always;");
            }
        });
    }

    @Test
    void metrics_are_answered_by_nginx_not_proxied_to_a_replica() {
        String main = NginxConfig.main(RenderTarget.LOCAL, LOCAL, 9000);
        String metrics = main.substring(main.indexOf("location ~ ^/metrics/*$ {"));
        metrics = metrics.substring(0, metrics.indexOf("\n        }"));
        assertThat(metrics).contains("return 404 ").doesNotContain("proxy_pass");
    }

    @Test
    void a_request_without_an_answer_is_handed_to_a_replica_that_answered_503_on_the_way() {
        String main = NginxConfig.main(RenderTarget.LOCAL, LOCAL, 9000);
        assertThat(main).contains(
                "error_page 502 504 = $hits_no_answer;",
                "location @ask_again {",
                "proxy_pass http://$hits_answered_503;",
                "location @no_replica {");
    }

    @Test
    void removing_a_replica_keeps_the_others_where_they_are() {
        String without = NginxConfig.upstream(Algorithm.HASH, RenderTarget.LOCAL, LOCAL.forAlgorithm(Algorithm.HASH).without("hits-2"),
                NginxVersion.DEBIAN_12);
        assertThat(without).contains("127.0.0.1:9001", "127.0.0.1:9003").doesNotContain("127.0.0.1:9002");
    }

    @Test
    void unknown_names_list_the_valid_ones() {
        assertThatThrownBy(() -> Algorithm.fromId("round-robin"))
                .hasMessage("unknown algorithm 'round-robin': expected one of "
                        + "round_robin, weighted, least_conn, ip_hash, hash, random, sticky");
        assertThatThrownBy(() -> RenderTarget.fromId("docker")).hasMessageContaining("expected compose or local");
        assertThatThrownBy(() -> NginxVersion.parse("latest")).hasMessageContaining("not an nginx version");
    }

    @Test
    void versions_compare_numerically() {
        assertThat(NginxVersion.parse("nginx version: nginx/1.22.1")).isEqualTo(NginxVersion.DEBIAN_12);
        assertThat(NginxVersion.parse("1.29.10").isAtLeast(NginxVersion.STICKY)).isTrue();
        assertThat(NginxVersion.parse("1.3").isAtLeast(NginxVersion.parse("1.22.1"))).isFalse();
    }
}
