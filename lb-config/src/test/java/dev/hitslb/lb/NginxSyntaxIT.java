package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.ThrowawayDirs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every rendered config goes through the real {@code nginx -t} of this machine (Debian 12: 1.22.1). */
class NginxSyntaxIT {
    private static final Topology LOCAL = Topology.local("hits", List.of(18081, 18082, 18083), Optional.of(18090));
    /** The only directives of the compose configs that an nginx older than 1.27.3 / 1.29.6 lacks. */
    private static final Pattern RESOLVE_SERVER = Pattern.compile("server hits-(\\w+):8080 resolve ");

    private static final Pattern K8S_RESOLVE_SERVER =
            Pattern.compile("server [a-z.-]+\\.svc\\.cluster\\.local:8080 resolve ");
    private static final Pattern STICKY_LINE = Pattern.compile("(?m)^ *sticky cookie hits_route path=/ httponly;\\n");
    /** sticky's route= on each server line (the cookie's value): part of `sticky`, nginx >= 1.29.6. */
    private static final Pattern STICKY_ROUTE = Pattern.compile(" route=hits-[a-z0-9-]+ ");

    private static NginxVersion localNginx;

    @BeforeAll
    static void findNginx() {
        localNginx = NginxVersion.parse(NginxServer.version());
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void every_local_config_passes_nginx_t(Algorithm algorithm) throws IOException {
        if (algorithm == Algorithm.STICKY && !localNginx.isAtLeast(NginxVersion.STICKY)) {
            assertThatThrownBy(() -> NginxConfig.upstream(algorithm, RenderTarget.LOCAL, LOCAL, localNginx))
                    .as("sticky on nginx %s must be refused by the renderer, before nginx", localNginx)
                    .isInstanceOf(UnsupportedConfigException.class);
            return;
        }
        Path prefix = ThrowawayDirs.create("nginx-t-" + algorithm.id());
        NginxConfig.write(
                prefix,
                NginxConfig.main(RenderTarget.LOCAL, LOCAL, 18080),
                NginxConfig.upstream(algorithm, RenderTarget.LOCAL, LOCAL.forAlgorithm(algorithm), localNginx));
        NginxServer.check(prefix);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void every_compose_config_passes_nginx_t_but_for_its_newer_directives(Algorithm algorithm) throws IOException {
        // Debian's nginx lacks `resolve` (1.27.3) and `sticky` (1.29.6), and the compose service names do
        // not resolve here. Take out exactly those, check that nothing else was touched, and let the real
        // nginx -t judge the rest, byte for byte as committed.
        String upstream = LbConfigCommand.composeFiles().get(algorithm.id() + ".conf");
        long servers = upstream.lines().filter(l -> l.startsWith("    server ")).count();
        int[] port = {18100};
        String downgraded = RESOLVE_SERVER.matcher(upstream).replaceAll(m -> "server 127.0.0.1:" + port[0]++ + " ");
        assertThat(port[0] - 18100).as("servers rewritten").isEqualTo(servers);
        String withoutSticky = STICKY_ROUTE
                .matcher(STICKY_LINE.matcher(downgraded).replaceAll(""))
                .replaceAll(" ");
        assertThat(withoutSticky.length() < downgraded.length()).isEqualTo(algorithm == Algorithm.STICKY);
        assertThat(STICKY_ROUTE.matcher(downgraded).results().count())
                .as("route= per server")
                .isEqualTo(algorithm == Algorithm.STICKY ? servers : 0);

        String main = LbConfigCommand.composeFiles().get("nginx.conf");
        String localMain = main.replace("include /etc/nginx/conf.d/upstream.conf;", "include upstream.conf;");
        assertThat(localMain).isNotEqualTo(main);

        Path prefix = ThrowawayDirs.create("nginx-t-compose-" + algorithm.id());
        NginxConfig.write(prefix, localMain, withoutSticky);
        NginxServer.check(prefix);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void every_kubernetes_config_passes_nginx_t(Algorithm algorithm) throws IOException {
        // As committed in k8s/, but for three things this machine lacks: the cluster DNS (nginx looks the
        // resolver's name up at start: here 127.0.0.1), /etc/nginx/hits/ (the ConfigMap's mount) and a
        // writable /tmp of its own (an emptyDir in the pod: here the prefix's tmp/). The headless Service
        // names stay: a `resolve` server need not resolve at start (nginx >= 1.27.3). On an older nginx,
        // `resolve` and `sticky` are taken out as for compose.
        String main = LbConfigCommand.kubernetesFiles().get("base/nginx.conf");
        String localMain = main.replace("resolver kube-dns.kube-system.svc.cluster.local ", "resolver 127.0.0.1 ")
                .replace("include /etc/nginx/hits/upstream.conf;", "include upstream.conf;")
                .replace(" /tmp/", " tmp/");
        assertThat(localMain
                        .lines()
                        .filter(l -> l.contains("kube-dns") || l.contains("/etc/nginx/") || l.contains(" /tmp/")))
                .as("what this machine lacks is all replaced")
                .allSatisfy(l -> assertThat(l.strip()).startsWith("#"));
        String upstream = LbConfigCommand.kubernetesFiles().get("overlays/" + algorithm.id() + "/upstream.conf");
        if (!localNginx.isAtLeast(NginxVersion.STICKY)) {
            int[] port = {18200};
            upstream = STICKY_LINE
                    .matcher(
                            K8S_RESOLVE_SERVER.matcher(upstream).replaceAll(m -> "server 127.0.0.1:" + port[0]++ + " "))
                    .replaceAll("");
        }
        Path prefix = ThrowawayDirs.create("nginx-t-kubernetes-" + algorithm.id());
        NginxConfig.write(prefix, localMain, upstream);
        NginxServer.check(prefix);
    }

    @Test
    void nginx_t_is_a_real_check_that_refuses_a_backup_with_hash() throws IOException {
        // What the renderer refuses up front, nginx refuses too: this keeps the refusal honest.
        Path prefix = ThrowawayDirs.create("nginx-t-refused");
        String hash = NginxConfig.upstream(
                Algorithm.HASH, RenderTarget.LOCAL, LOCAL.forAlgorithm(Algorithm.HASH), localNginx);
        NginxConfig.write(
                prefix,
                NginxConfig.main(RenderTarget.LOCAL, LOCAL, 18080),
                hash.replace("    keepalive 128;", "    server 127.0.0.1:18090 backup;\n    keepalive 128;"));
        assertThatThrownBy(() -> NginxServer.check(prefix))
                .isInstanceOf(NginxServer.InvalidConfigException.class)
                .hasMessageContaining("backup");
    }
}
