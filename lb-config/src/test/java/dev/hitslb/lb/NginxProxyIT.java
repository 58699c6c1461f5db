package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.ThrowawayDirs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared behaviour of nginx itself, on a real nginx with no replica up. */
class NginxProxyIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static NginxServer nginx;

    @BeforeAll
    static void start() throws IOException {
        int port = Ports.free();
        // Replica ports nothing listens on: every replica is down.
        Topology topology = Topology.local(List.of(Ports.free(), Ports.free(), Ports.free()), Optional.of(Ports.free()));
        Path prefix = ThrowawayDirs.create("nginx");
        Files.writeString(prefix.resolve("nginx.conf"), NginxConfig.main(Target.LOCAL, topology, port));
        Files.writeString(prefix.resolve("upstream.conf"), NginxConfig.upstream(Algorithm.ROUND_ROBIN, Target.LOCAL,
                topology, NginxVersion.parse(NginxServer.version())));
        nginx = NginxServer.start(prefix, port, true);
    }

    @AfterAll
    static void stop() {
        nginx.stop();
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void with_every_replica_down_nginx_answers_a_json_503_after_trying_each_once() throws Exception {
        HttpResponse<String> response = get("/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("nginx");
        assertThat(response.body()).isEqualTo("{\"error\":\"no replica is available, try again shortly\",\"instance\":\"nginx\"}\n");
        // Three replicas and the backup, each tried once, in one request.
        assertThat(response.headers().firstValue("X-Upstream").orElseThrow().split(", ")).hasSize(4);
    }

    @Test
    void nginx_answers_its_own_health_check_and_hides_its_version() throws Exception {
        HttpResponse<String> health = get("/nginx-health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
        assertThat(health.headers().firstValue("Server")).hasValue("nginx");
    }

    @Test
    void stub_status_answers_local_clients() throws Exception {
        HttpResponse<String> status = get("/nginx-status");
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.body()).startsWith("Active connections:");
    }
}
