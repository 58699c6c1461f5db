package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import dev.hitslb.servers.Logs;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.servers.Wait;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared behaviour of nginx itself, on a real nginx: with no replica up, and in front of fake
 * replicas (JDK HTTP servers answering a fixed status in the replicas' format).
 */
class NginxProxyIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REQUEST_ID = "[0-9a-f]{32}";
    private static NginxServer nginx;

    @BeforeAll
    static void start() throws IOException {
        // Replica ports nothing listens on: every replica is down.
        nginx = nginxInFrontOf(List.of(Ports.free(), Ports.free(), Ports.free()), Ports.free());
    }

    @AfterAll
    static void stop() {
        nginx.stop();
    }

    /** A throwaway nginx, round robin, over replicas hits-1..hits-N on these ports and hits-backup. */
    private static NginxServer nginxInFrontOf(List<Integer> replicaPorts, int backupPort) throws IOException {
        return nginxInFrontOf(replicaPorts, backupPort, UnaryOperator.identity());
    }

    /** As {@link #nginxInFrontOf(List, int)}, its main config changed by {@code change} first. */
    private static NginxServer nginxInFrontOf(List<Integer> replicaPorts, int backupPort, UnaryOperator<String> change)
            throws IOException {
        int port = Ports.free();
        Topology topology = Topology.local("hits", replicaPorts, Optional.of(backupPort));
        Path prefix = ThrowawayDirs.create("nginx");
        NginxConfig.write(
                prefix,
                change.apply(NginxConfig.main(RenderTarget.LOCAL, topology, port)),
                NginxConfig.upstream(
                        Algorithm.ROUND_ROBIN,
                        RenderTarget.LOCAL,
                        topology,
                        NginxVersion.parse(NginxServer.version())));
        return NginxServer.start(prefix, port, true);
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(nginx, path);
    }

    private static HttpResponse<String> get(NginxServer server, String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code request} as it is on a new connection and returns all nginx answers until it closes. */
    private static String raw(NginxServer server, String request) throws IOException {
        return raw(server, request, "127.0.0.1");
    }

    /** As {@link #raw(NginxServer, String)}, from {@code source}: another 127.x address is a client from afar. */
    private static String raw(NginxServer server, String request, String source) throws IOException {
        try (Socket socket =
                new Socket(InetAddress.getLoopbackAddress(), server.port(), InetAddress.getByName(source), 0)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** A request as a fake replica got it: its path, protocol, the port it came from, its headers. */
    private record Seen(String path, String protocol, int sourcePort, Headers headers) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    /**
     * A fake replica: answers every request with {@code status}, a JSON body in the replicas' format
     * and X-Instance-Id, and remembers each request it got.
     */
    private record FakeReplica(HttpServer server, String name, List<Seen> seen) implements AutoCloseable {
        static FakeReplica start(String name, int status) throws IOException {
            return start(name, status, new CountDownLatch(0));
        }

        /** As {@link #start(String, int)}, each request held (and remembered) until {@code release} opens. */
        static FakeReplica start(String name, int status, CountDownLatch release) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            FakeReplica fake = new FakeReplica(server, name, Collections.synchronizedList(new ArrayList<>()));
            server.createContext("/", exchange -> {
                if ("HTTP/1.1".equals(exchange.getProtocol())
                        && exchange.getRequestHeaders().getFirst("Host") == null) {
                    // As Jetty does (and RFC 9112 section 3.2 requires): an HTTP/1.1 request needs a Host.
                    exchange.sendResponseHeaders(400, -1);
                    exchange.close();
                    return;
                }
                fake.seen.add(new Seen(
                        exchange.getRequestURI().getPath(),
                        exchange.getProtocol(),
                        exchange.getRemoteAddress().getPort(),
                        exchange.getRequestHeaders()));
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = fake.body(status).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().set("X-Instance-Id", name);
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return fake;
        }

        List<String> paths() {
            return seen().stream().map(Seen::path).toList();
        }

        /** Each request's X-Request-Id: the key the replica counts by. */
        List<String> requestIds() {
            return seen().stream().map(r -> r.header("X-Request-Id")).toList();
        }

        /** Each request's X-Request-Start: when nginx first sent it. */
        List<String> requestStarts() {
            return seen().stream().map(r -> r.header("X-Request-Start")).toList();
        }

        @Override
        public List<Seen> seen() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        String body(int status) {
            return status == 200
                    ? "{\"instance\":\"" + name + "\",\"hits\":1}\n"
                    : "{\"error\":\"in doubt: this page load may have been counted; retry with the same "
                            + "X-Request-Id\",\"instance\":\"" + name + "\"}\n";
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void with_every_replica_down_nginx_answers_a_json_503_after_trying_each_once() throws Exception {
        HttpResponse<String> response = get("/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("nginx");
        assertThat(response.body())
                .isEqualTo("{\"error\":\"no replica is available, try again shortly\",\"instance\":\"nginx\"}\n");
        // Three replicas and the backup, each tried once, in one request.
        assertThat(response.headers().firstValue("X-Upstream").orElseThrow().split(", "))
                .hasSize(4);
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

    @Test
    void every_answer_carries_the_request_id_even_nginx_s_own() throws Exception {
        // Its own nginx: requests to / would take the shared one's replicas out for fail_timeout.
        try (NginxServer lb = nginxInFrontOf(List.of(Ports.free(), Ports.free()), Ports.free())) {
            for (String path : List.of("/", "/api/hits", "/nginx-health", "/nginx-status", "/metrics")) {
                assertThat(get(lb, path).headers().firstValue("X-Request-Id"))
                        .as(path)
                        .hasValueSatisfying(id -> assertThat(id).matches(REQUEST_ID));
            }
            assertThat(get(lb, "/").headers().firstValue("X-Request-Id"))
                    .as("a new id per request")
                    .isNotEqualTo(get(lb, "/").headers().firstValue("X-Request-Id"));
        }
    }

    @Test
    void a_valid_idempotency_key_is_the_counting_key_and_anything_else_is_replaced_by_nginx_s_id() throws Exception {
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), Ports.free())) {
            String uuid = "3f2b8c1e-9a47-4d2e-b6f0-5c1d7e9a2b43";
            for (int i = 0; i < 2; i++) { // a retry: the same key both times
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                                .header("Idempotency-Key", uuid)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.headers().firstValue("X-Request-Id")).hasValue("key:" + uuid);
            }
            assertThat(hits1.requestIds()).containsExactly("key:" + uuid, "key:" + uuid);
            // Too short, too long, a quote, a space, a slash: replaced by nginx's own id, never refused.
            for (String bad : List.of(
                    "short-key", "k".repeat(129), "\"0123456789abcdef\"", "0123456789 abcdef", "0123456789abcdef/x")) {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                                .header("Idempotency-Key", bad)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(bad).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Request-Id"))
                        .as(bad)
                        .hasValueSatisfying(id -> assertThat(id).matches(REQUEST_ID));
            }
            // What a client sends as X-Request-Id is never the key: nginx sets that header itself.
            HttpResponse<String> forged = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                            .header("X-Request-Id", "someone-elses-id")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(forged.headers().firstValue("X-Request-Id"))
                    .hasValueSatisfying(id -> assertThat(id).matches(REQUEST_ID));
            assertThat(hits1.requestIds()).doesNotContain("someone-elses-id");
        }
    }

    @Test
    void nginx_stamps_when_it_sent_the_request_and_a_retry_keeps_the_stamp() throws Exception {
        // The replicas age a page load from this stamp: one that sat in a stopped replica's socket buffer
        // for minutes is too old to count (docs/counting.md#no-stale-commit). A client's own is replaced.
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 503);
                FakeReplica hits2 = FakeReplica.start("hits-2", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port()), Ports.free())) {
            double before = System.currentTimeMillis() / 1000.0;
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                            .header("X-Request-Start", "t=1")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            double after = System.currentTimeMillis() / 1000.0;
            assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("hits-2");
            assertThat(hits1.requestStarts()).hasSize(1);
            assertThat(hits2.requestStarts())
                    .as("the retry's stamp is the first try's")
                    .isEqualTo(hits1.requestStarts());
            String stamp = hits1.requestStarts().getFirst();
            assertThat(stamp).matches("t=\\d+\\.\\d{3}");
            // $msec is nginx's cached time, updated once per event loop turn: allow it a little.
            assertThat(Double.parseDouble(stamp.substring(2))).isBetween(before - 1, after);
        }
    }

    @Test
    void a_replica_gets_http_1_1_on_a_kept_alive_connection_with_the_client_s_address_and_scheme() throws Exception {
        // The upstream's keepalive needs HTTP/1.1 and no "Connection: close" from nginx: then a page load
        // costs the replica no new TCP connection. X-Forwarded-For and -Proto tell it who asked, and how.
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), Ports.free())) {
            for (int i = 0; i < 10; i++) {
                assertThat(get(lb, "/").statusCode()).isEqualTo(200);
            }
            List<Seen> seen = hits1.seen();
            assertThat(seen).hasSize(10).allSatisfy(request -> {
                assertThat(request.protocol()).isEqualTo("HTTP/1.1");
                assertThat(request.header("Connection")).as("Connection").isNull();
                assertThat(request.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
                assertThat(request.header("X-Forwarded-Proto")).isEqualTo("http");
            });
            // One client connection lands on one nginx worker, which reuses its idle connection to the
            // replica; without keep-alive every page load opens its own (10 here). nginx >= 1.29.7 does
            // this by default: only on an older one (Debian 12's 1.22, in .ci/run) can this part fail.
            assertThat(seen.stream().map(Seen::sourcePort).distinct())
                    .as("connections nginx opened to the replica for 10 page loads in a row")
                    .hasSizeLessThanOrEqualTo(2);
            // Behind another proxy, the client's address is appended to the ones it names.
            HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                            .header("X-Forwarded-For", "203.0.113.7")
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(hits1.seen().getLast().header("X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
        }
    }

    @Test
    void the_access_log_names_every_replica_tried_with_its_status_and_the_request_id() throws Exception {
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 503);
                FakeReplica hits2 = FakeReplica.start("hits-2", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port()), Ports.free())) {
            String id = get(lb, "/").headers().firstValue("X-Request-Id").orElseThrow();
            Path log = lb.prefix().resolve("logs/access.log");
            // nginx writes its access log in batches, at least once a second.
            Wait.until(
                    "the page load in " + log,
                    Duration.ofSeconds(5),
                    () -> Logs.tail(log, 20).contains("rid=" + id));
            assertThat(Logs.tail(log, 20).lines().filter(line -> line.endsWith(" rid=" + id)))
                    .singleElement()
                    .satisfies(line -> assertThat(line)
                            .contains(
                                    "\"GET / HTTP/1.1\" 200 ",
                                    "upstream=127.0.0.1:" + hits1.port() + ", 127.0.0.1:" + hits2.port() + " ",
                                    "ustatus=503, 200 ")
                            .containsPattern(" urt=\\d+\\.\\d{3}, \\d+\\.\\d{3} "));
        }
    }

    @Test
    void a_replica_s_503_reaches_the_client_with_its_body_and_the_request_id_it_was_given() throws Exception {
        // hits-2 answers an in-doubt 503; hits-1, hits-3 and the backup are down. nginx moves on from
        // the 503 (it may be a replica shutting down) and finds no one else: the client must still
        // get hits-2's answer, not "no replica is available", and the id to retry with.
        try (FakeReplica hits2 = FakeReplica.start("hits-2", 503);
                NginxServer lb = nginxInFrontOf(List.of(Ports.free(), hits2.port(), Ports.free()), Ports.free())) {
            HttpResponse<String> response = get(lb, "/");
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("hits-2");
            assertThat(response.body()).isEqualTo(hits2.body(503));
            assertThat(hits2.requestIds())
                    .isNotEmpty()
                    .allSatisfy(id -> assertThat(response.headers().firstValue("X-Request-Id"))
                            .hasValue(id));
        }
    }

    @Test
    void a_replica_s_503_reaches_the_client_when_every_other_replica_has_just_failed() throws Exception {
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 503);
                FakeReplica hits2 = FakeReplica.start("hits-2", 503);
                FakeReplica hits3 = FakeReplica.start("hits-3", 503);
                FakeReplica backup = FakeReplica.start("hits-backup", 503);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port(), hits3.port()), backup.port())) {
            // The first request meets every replica once; the last answer (the backup's) is sent on.
            // The second finds hits-1..3 out for fail_timeout: only the backup answers, then nginx has
            // a try left and no replica to give it to.
            for (int i = 1; i <= 2; i++) {
                HttpResponse<String> response = get(lb, "/");
                assertThat(response.statusCode()).as("request %d", i).isEqualTo(503);
                assertThat(response.headers().firstValue("X-Instance-Id"))
                        .as("request %d", i)
                        .hasValue("hits-backup");
                assertThat(response.body()).as("request %d", i).isEqualTo(backup.body(503));
            }
        }
    }

    @Test
    void when_no_replica_answers_in_the_end_the_first_that_said_503_is_asked_again() throws Exception {
        // hits-1 and hits-2 answer in-doubt 503s, hits-3 and the backup are down: nginx tries all four
        // ($upstream_status "503, 503, 502, 502") and is left with its own 502. @ask_again must go
        // back to the FIRST replica that said 503, which may have counted the page load.
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 503);
                FakeReplica hits2 = FakeReplica.start("hits-2", 503);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port(), Ports.free()), Ports.free())) {
            HttpResponse<String> response = get(lb, "/");
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(hits2.requestIds()).as("hits-2 was tried second, once").hasSize(1);
            // Before: the recursive regex map took the last 503 in the list, hits-2.
            assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("hits-1");
            assertThat(hits1.requestIds())
                    .as("hits-1: tried first, then asked again with the same id")
                    .hasSize(2)
                    .containsOnly(response.headers().firstValue("X-Request-Id").orElseThrow());
        }
    }

    @Test
    void when_the_replica_asked_again_fails_too_the_client_gets_nginx_s_json_503_not_an_html_502() throws Exception {
        // hits-1 answers an in-doubt 503, then dies (it closes the connection when asked again); the
        // others are down. Before: nginx's own HTML 502, as error_page inside @ask_again never fired
        // (recursive_error_pages must be on where the first error_page fires).
        HttpServer flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        flaky.createContext("/", exchange -> {
            if (asked.incrementAndGet() == 1) {
                byte[] body = "{\"error\":\"in doubt\",\"instance\":\"hits-1\"}\n".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(503, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close(); // the second time: no answer at all
        });
        flaky.start();
        try (NginxServer lb =
                nginxInFrontOf(List.of(flaky.getAddress().getPort(), Ports.free(), Ports.free()), Ports.free())) {
            HttpResponse<String> response = get(lb, "/");
            assertThat(asked.get()).as("hits-1 asked, then asked again").isEqualTo(2);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("nginx");
            assertThat(response.body())
                    .isEqualTo("{\"error\":\"no replica is available, try again shortly\",\"instance\":\"nginx\"}\n");
        } finally {
            flaky.stop(0);
        }
    }

    @Test
    void a_502_or_504_from_one_replica_is_retried_on_the_next() throws Exception {
        // A replica's own 502 or 504 (a gateway in front of it failing) is nginx's cue to move on too.
        for (int status : List.of(502, 504)) {
            try (FakeReplica hits1 = FakeReplica.start("hits-1", status);
                    FakeReplica hits2 = FakeReplica.start("hits-2", 200);
                    FakeReplica hits3 = FakeReplica.start("hits-3", 200);
                    NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port(), hits3.port()), Ports.free())) {
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> response = get(lb, "/");
                    assertThat(response.statusCode()).as("%d", status).isEqualTo(200);
                    assertThat(response.headers().firstValue("X-Instance-Id"))
                            .hasValueSatisfying(id -> assertThat(id).isIn("hits-2", "hits-3"));
                }
                assertThat(hits1.paths())
                        .as("hits-1, answering %d, was tried", status)
                        .isNotEmpty();
            }
        }
    }

    @Test
    void with_every_replica_hung_nginx_answers_its_json_503_once_each_timed_out() throws Exception {
        // Each try times out (proxy_read_timeout, nginx's 504): error_page turns the last into the
        // same JSON 503 as replicas that are down, never an HTML 504.
        CountDownLatch release = new CountDownLatch(1);
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200, release);
                FakeReplica backup = FakeReplica.start("hits-backup", 200, release);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), backup.port())) {
            long start = System.nanoTime();
            HttpResponse<String> response = get(lb, "/");
            long millis = (System.nanoTime() - start) / 1_000_000;
            // Two tries of proxy_read_timeout (2 s) each; nginx's default, 60 s, would take two minutes.
            assertThat(millis).as("ms until answered").isBetween(3_500L, 30_000L);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body())
                    .isEqualTo("{\"error\":\"no replica is available, try again shortly\",\"instance\":\"nginx\"}\n");
            assertThat(hits1.paths()).as("hits-1 tried").hasSize(1);
            assertThat(backup.paths()).as("the backup tried").hasSize(1);
        } finally {
            release.countDown();
        }
    }

    @Test
    void a_503_from_one_replica_is_still_retried_on_the_next() throws Exception {
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 503);
                FakeReplica hits2 = FakeReplica.start("hits-2", 200);
                FakeReplica hits3 = FakeReplica.start("hits-3", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port(), hits2.port(), hits3.port()), Ports.free())) {
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> response = get(lb, "/");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Instance-Id"))
                        .hasValueSatisfying(id -> assertThat(id).isIn("hits-2", "hits-3"));
            }
            assertThat(hits1.requestIds()).as("hits-1 was tried first").isNotEmpty();
        }
    }

    @Test
    void beyond_its_in_flight_limit_nginx_refuses_at_once_and_keeps_the_replica_in_rotation() throws Exception {
        // The committed limit (1024) lowered to 4 in this copy: four requests held by the replica fill it.
        String limit = "limit_conn in_flight 1024;";
        CountDownLatch release = new CountDownLatch(1);
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200, release);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), Ports.free(), config -> {
                    assertThat(config).contains(limit);
                    return config.replace(limit, "limit_conn in_flight 4;");
                })) {
            List<CompletableFuture<HttpResponse<String>>> held = IntStream.range(0, 4)
                    .mapToObj(i -> HTTP.sendAsync(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.port() + "/"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();
            Wait.until(
                    "4 requests held at hits-1",
                    Duration.ofSeconds(10),
                    () -> hits1.paths().size() == 4);

            long start = System.nanoTime();
            HttpResponse<String> refused = get(lb, "/");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.headers().firstValue("X-Instance-Id")).hasValue("nginx");
            assertThat(refused.headers().firstValue("X-Request-Id"))
                    .hasValueSatisfying(id -> assertThat(id).matches(REQUEST_ID));
            assertThat(refused.body())
                    .isEqualTo(
                            "{\"error\":\"overloaded: too many requests in flight, try again shortly\",\"instance\":\"nginx\"}\n");
            assertThat(millis).as("ms until refused").isLessThan(1_000);
            assertThat(hits1.paths()).as("what reached hits-1").hasSize(4);

            release.countDown();
            for (CompletableFuture<HttpResponse<String>> answer : held) {
                assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            // Shedding is not a failure of the replica: it stays in rotation (no "no replica is available").
            HttpResponse<String> after = get(lb, "/");
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(after.headers().firstValue("X-Instance-Id")).hasValue("hits-1");
        }
    }

    @Test
    void metrics_are_not_served_through_nginx() throws Exception {
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), Ports.free())) {
            for (String path : List.of("/metrics", "/metrics/", "/metrics?name=hits_counted_total")) {
                HttpResponse<String> response = get(lb, path);
                assertThat(response.statusCode()).as(path).isEqualTo(404);
                assertThat(response.headers().firstValue("Content-Type"))
                        .as(path)
                        .hasValue("application/json");
                assertThat(response.headers().firstValue("X-Instance-Id"))
                        .as(path)
                        .hasValue("nginx");
                assertThat(response.body()).as(path).contains("\"instance\":\"nginx\"");
            }
            assertThat(get(lb, "/api/hits").statusCode())
                    .as("other paths still reach the replica")
                    .isEqualTo(200);
            assertThat(hits1.paths()).containsExactly("/api/hits");
        }
    }

    @Test
    void an_http_1_0_request_without_host_is_answered_like_any_other() throws Exception {
        // HTTP/1.0 needs no Host; nginx talks HTTP/1.1 to the replicas, where a request without one is a 400.
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200);
                NginxServer lb = nginxInFrontOf(List.of(hits1.port()), Ports.free())) {
            String response = raw(lb, "GET /api/hits HTTP/1.0\r\n\r\n");
            assertThat(response)
                    .startsWith("HTTP/1.1 200 ")
                    .endsWith(hits1.body(200))
                    .containsIgnoringCase("X-Instance-Id: hits-1");
            assertThat(hits1.paths()).containsExactly("/api/hits");
        }
    }

    @Test
    void nginx_s_own_refusals_are_json_in_the_replicas_format_with_their_status() throws Exception {
        String longUri = "/" + "a".repeat(9_000); // beyond large_client_header_buffers' 8k
        List<List<String>> requests = List.of(
                List.of("HTTP/1.1 400 ", "GET / HTTP/1.1\r\n\r\n"), // HTTP/1.1 without Host
                List.of("HTTP/1.1 400 ", "NOT A REQUEST LINE\r\n\r\n"),
                List.of("HTTP/1.1 405 ", "TRACE / HTTP/1.1\r\nHost: hits\r\n\r\n"),
                List.of("HTTP/1.1 414 ", "GET " + longUri + " HTTP/1.1\r\nHost: hits\r\n\r\n"),
                List.of("HTTP/1.1 404 ", "GET /nginx-error HTTP/1.1\r\nHost: hits\r\nConnection: close\r\n\r\n"),
                List.of("HTTP/1.1 413 ", "POST / HTTP/1.1\r\nHost: hits\r\nContent-Length: 2000000\r\n\r\n"),
                // Before: nginx's HTML pages.
                List.of("HTTP/1.1 501 ", "GET / HTTP/1.1\r\nHost: hits\r\nTransfer-Encoding: gzip\r\n\r\n"),
                List.of("HTTP/1.1 505 ", "GET / HTTP/3.0\r\nHost: hits\r\n\r\n"));
        for (List<String> request : requests) {
            assertJsonRefusal(raw(nginx, request.get(1)), request.get(0));
        }
        String bad = raw(nginx, "GET / HTTP/1.1\r\nHost: hits\r\nX-Big: " + "b".repeat(9_000) + "\r\n\r\n");
        assertJsonRefusal(bad, "HTTP/1.1 400 "); // a header beyond 8k (nginx's 494)
        // /nginx-status is for this host only: a client from another address is refused.
        assertJsonRefusal(
                raw(nginx, "GET /nginx-status HTTP/1.1\r\nHost: hits\r\nConnection: close\r\n\r\n", "127.0.0.2"),
                "HTTP/1.1 403 ");
    }

    @Test
    void the_live_page_s_redirect_is_json_too_and_keeps_its_relative_location() throws Exception {
        // Before: nginx's HTML 301 page.
        String response = raw(nginx, "GET /live HTTP/1.1\r\nHost: hits\r\nConnection: close\r\n\r\n");
        assertJsonRefusal(response, "HTTP/1.1 301 ");
        assertThat(response)
                .as("relative, so it works behind any published port")
                .contains("\r\nLocation: /live/\r\n");
    }

    private static void assertJsonRefusal(String response, String statusLine) {
        assertThat(response)
                .as(statusLine)
                .startsWith(statusLine)
                .contains("\r\nContent-Type: application/json\r\n", "\r\nX-Instance-Id: nginx\r\n")
                .containsPattern("\r\nX-Request-Id: " + REQUEST_ID + "\r\n")
                .endsWith("\r\n\r\n{\"error\":\""
                        + switch (statusLine.substring(9, 12)) {
                            case "301" -> "moved permanently: follow the Location header";
                            case "400" ->
                                "bad request: nginx could not read the request line or a header, or a header was too large";
                            case "403" -> "forbidden";
                            case "404" -> "not found";
                            case "405" -> "method not allowed";
                            case "413" -> "request body too large: the service takes none";
                            case "501" -> "not implemented: nginx cannot read this Transfer-Encoding";
                            case "505" -> "HTTP version not supported: send HTTP/1.1";
                            default -> "request URI too long";
                        }
                        + "\",\"instance\":\"nginx\"}\n");
    }

    @Test
    void a_request_announcing_a_body_is_refused_at_once_and_holds_no_slot() throws Exception {
        // The committed limit (1024) lowered to 4 in this copy. Six clients from another address each
        // announce a 1000-byte body and send one byte (the slow-body attack, which held every slot
        // for as long as it went on): each is refused at once, and a client beside them is served.
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200);
                NginxServer lb = nginxInFrontOf(
                        List.of(hits1.port()),
                        Ports.free(),
                        config -> config.replace("limit_conn in_flight 1024;", "limit_conn in_flight 4;"))) {
            List<Socket> attackers = new ArrayList<>();
            try {
                for (String head : List.of(
                        "Content-Length: 1000\r\n\r\nx",
                        "Content-Length: 0001000\r\n\r\nx",
                        "Transfer-Encoding: chunked\r\n\r\n3e8\r\nx")) {
                    for (int i = 0; i < 2; i++) {
                        Socket socket = new Socket(
                                InetAddress.getLoopbackAddress(), lb.port(), InetAddress.getByName("127.0.0.2"), 0);
                        attackers.add(socket);
                        socket.setSoTimeout(3_000);
                        socket.getOutputStream()
                                .write(("GET / HTTP/1.1\r\nHost: hits\r\n" + head)
                                        .getBytes(StandardCharsets.ISO_8859_1));
                        byte[] status = socket.getInputStream().readNBytes(13);
                        assertThat(new String(status, StandardCharsets.ISO_8859_1))
                                .as(head)
                                .isEqualTo("HTTP/1.1 413 ");
                    }
                }
                HttpResponse<String> served = get(lb, "/");
                assertThat(served.statusCode()).as("a client beside the attack").isEqualTo(200);
                assertThat(hits1.paths())
                        .as("no body-bearing request reached the replica")
                        .containsExactly("/");
            } finally {
                for (Socket socket : attackers) {
                    socket.close();
                }
            }
            assertThat(get(lb, "/").statusCode())
                    .as("a GET with Content-Length: 0 is a page load")
                    .isEqualTo(200);
        }
    }

    @Test
    void one_client_address_may_hold_only_its_share_of_the_slots() throws Exception {
        // Lowered in this copy: 4 slots in all, 2 per client address. Two requests from 127.0.0.2 held
        // at the replica fill that client's share: its third is refused at once, while a request from
        // 127.0.0.3 still takes a slot. Keeping its third out is what keeps one client from all slots.
        CountDownLatch release = new CountDownLatch(1);
        try (FakeReplica hits1 = FakeReplica.start("hits-1", 200, release);
                NginxServer lb = nginxInFrontOf(
                        List.of(hits1.port()),
                        Ports.free(),
                        config -> config.replace("limit_conn in_flight 1024;", "limit_conn in_flight 4;")
                                .replace("limit_conn per_client 512;", "limit_conn per_client 2;"))) {
            String request = "GET / HTTP/1.1\r\nHost: hits\r\nConnection: close\r\n\r\n";
            var clients = Executors.newVirtualThreadPerTaskExecutor();
            List<CompletableFuture<String>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(CompletableFuture.supplyAsync(() -> rawUnchecked(lb, request, "127.0.0.2"), clients));
            }
            Wait.until(
                    "2 requests from 127.0.0.2 held at hits-1",
                    Duration.ofSeconds(10),
                    () -> hits1.paths().size() == 2);
            assertJsonOverloaded(raw(lb, request, "127.0.0.2"));
            held.add(CompletableFuture.supplyAsync(() -> rawUnchecked(lb, request, "127.0.0.3"), clients));
            Wait.until(
                    "the request from 127.0.0.3 to reach hits-1",
                    Duration.ofSeconds(10),
                    () -> hits1.paths().size() == 3);
            release.countDown();
            for (CompletableFuture<String> answer : held) {
                assertThat(answer.get(10, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200 ");
            }
            clients.close();
        }
    }

    private static void assertJsonOverloaded(String response) {
        assertThat(response)
                .startsWith("HTTP/1.1 503 ")
                .contains("\r\nRetry-After: 1\r\n")
                .endsWith(
                        "{\"error\":\"overloaded: too many requests in flight, try again shortly\",\"instance\":\"nginx\"}\n");
    }

    private static String rawUnchecked(NginxServer server, String request, String source) {
        try {
            return raw(server, request, source);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void a_client_that_dribbles_its_headers_is_cut_off_after_client_header_timeout() throws Exception {
        long start = System.nanoTime();
        // The request line, then nothing: a slowloris client holding the connection.
        String response = raw(nginx, "GET / HTTP/1.1\r\nHost: hits\r\n");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(response).as("nginx closes without an answer (408)").isEmpty();
        assertThat(seconds).as("seconds until nginx closed").isBetween(9.0, 14.0);
    }
}
