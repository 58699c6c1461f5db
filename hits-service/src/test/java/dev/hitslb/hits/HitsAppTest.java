package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.HealthCheck;
import dev.hitslb.platform.Metrics;
import dev.hitslb.platform.WebServer;
import io.javalin.Javalin;
import io.javalin.testtools.JavalinTest;
import io.javalin.testtools.Response;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/** The HTTP layer in process, on a fake store and fake health checks: no PostgreSQL, no Redis. */
class HitsAppTest {
    /** Counts in memory, as the real store does in PostgreSQL. */
    static final class FakeStore implements HitStore {
        long hits;
        Instant lastSentAt;

        @Override
        public synchronized long count(String requestId, Instant sentAt) {
            lastSentAt = sentAt;
            return ++hits;
        }

        @Override
        public synchronized long total() {
            return hits;
        }
    }

    private final FakeStore store = new FakeStore();
    private final AtomicBoolean databaseUp = new AtomicBoolean(true);
    private final Javalin app = HitsApp.create(
            AppConfig.from(Map.of("INSTANCE_ID", "test-1")),
            store,
            new Metrics(),
            List.of(HealthCheck.required("postgres", databaseUp::get), HealthCheck.optional("redis", () -> true)),
            () -> {});

    @Test
    void get_root_counts_and_answers_json_or_html() {
        JavalinTest.test(app, (server, client) -> {
            Response json = client.get("/", req -> req.header("Accept", "application/json"));
            assertThat(json.code()).isEqualTo(200);
            assertThat(json.body().string()).isEqualTo("{\"instance\":\"test-1\",\"hits\":1}");

            Response html = client.get("/", req -> req.header("Accept", "text/html"));
            assertThat(html.code()).isEqualTo(200);
            assertThat(html.headers().get("Content-Type").getFirst()).startsWith("text/html");
            assertThat(html.body().string()).contains("<p class=\"hits\">2</p>").contains("test-1");
        });
    }

    @Test
    void a_malformed_accept_header_is_a_400_that_counts_nothing() {
        JavalinTest.test(app, (server, client) -> {
            for (String accept : List.of("\"application/json", "application/json;q=\"1")) {
                Response response = client.get("/", req -> req.header("Accept", accept));
                assertThat(response.code()).as(accept).isEqualTo(400);
                assertThat(response.body().string())
                        .as(accept)
                        .isEqualTo("{\"error\":\"Accept is malformed: an unbalanced quote\",\"instance\":\"test-1\"}");
            }
            assertThat(store.hits).as("nothing counted").isZero();
        });
    }

    @Test
    void the_time_nginx_sent_the_request_reaches_the_counting_and_a_malformed_one_is_a_400() {
        JavalinTest.test(app, (server, client) -> {
            Response stamped = client.get("/", req -> req.header("X-Request-Start", "t=1733424000.123"));
            assertThat(stamped.code()).isEqualTo(200);
            assertThat(store.lastSentAt).isEqualTo(Instant.parse("2024-12-05T18:40:00.123Z"));

            for (String start : List.of("1733424000.123", "t=", "t=abc", "t=-5", "t=1.2.3", "t=17334240001234567")) {
                Response response = client.get("/", req -> req.header("X-Request-Start", start));
                assertThat(response.code()).as(start).isEqualTo(400);
                assertThat(response.body().string())
                        .as(start)
                        .contains("X-Request-Start must be t= and seconds since the epoch");
            }
            assertThat(store.hits).as("only the well-formed one counted").isEqualTo(1);

            client.get("/");
            assertThat(store.lastSentAt)
                    .as("no header: straight to the replica")
                    .isNull();
        });
    }

    @Test
    void api_hits_reads_the_total_counting_nothing() {
        store.hits = 41;
        JavalinTest.test(app, (server, client) -> {
            assertThat(client.get("/api/hits").body().string()).isEqualTo("{\"instance\":\"test-1\",\"hits\":41}");
            assertThat(client.get("/api/hits").body().string()).isEqualTo("{\"instance\":\"test-1\",\"hits\":41}");
            assertThat(store.hits).isEqualTo(41);
        });
    }

    @Test
    void every_response_names_the_instance_errors_included() {
        JavalinTest.test(app, (server, client) -> {
            for (String path : List.of("/", "/api/hits", "/health/live", "/health/ready", "/metrics", "/nope")) {
                assertThat(client.get(path).headers().get("X-Instance-Id"))
                        .as(path)
                        .containsExactly("test-1");
            }
        });
    }

    @Test
    void not_ready_when_the_database_check_fails() {
        JavalinTest.test(app, (server, client) -> {
            assertThat(client.get("/health/ready").code()).isEqualTo(200);
            databaseUp.set(false);
            Response ready = client.get("/health/ready");
            assertThat(ready.code()).isEqualTo(503);
            assertThat(ready.body().string())
                    .isEqualTo("{\"status\":\"DOWN\",\"instance\":\"test-1\",\"postgres\":\"DOWN\",\"redis\":\"UP\"}");
            assertThat(client.get("/health/live").code()).isEqualTo(200);
        });
    }

    @Test
    void head_tells_the_same_truth_as_get() {
        // A checker that probes with HEAD must not keep routing to an instance that cannot count.
        JavalinTest.test(app, (server, client) -> {
            assertThat(head(server, "/health/ready")).isEqualTo(200);
            databaseUp.set(false);
            assertThat(head(server, "/health/ready")).isEqualTo(503);
            assertThat(head(server, "/health/live")).isEqualTo(200);
        });
    }

    @Test
    void listens_with_a_backlog_for_bursts() {
        // The JDK's default of 50 turned a 500-client burst through nginx into 76 % 503s.
        JavalinTest.test(app, (server, client) -> {
            assertThat(server.jettyServer().server().getConnectors())
                    .singleElement()
                    .satisfies(c -> assertThat(((ServerConnector) c).getAcceptQueueSize())
                            .isEqualTo(WebServer.ACCEPT_QUEUE));
        });
    }

    /** javalin-testtools' client has no HEAD: the JDK's does. */
    private static int head(Javalin server, String path) throws Exception {
        HttpRequest head = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build();
        return HttpClient.newHttpClient()
                .send(head, HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void errors_are_json_naming_the_instance() {
        JavalinTest.test(app, (server, client) -> {
            Response missing = client.get("/nope");
            assertThat(missing.code()).isEqualTo(404);
            assertThat(missing.body().string())
                    .contains("\"error\":\"no such page: /nope\"")
                    .contains("\"instance\":\"test-1\"");

            Response badId = client.get("/", req -> req.header("X-Request-Id", "has space"));
            assertThat(badId.code()).isEqualTo(400);
            assertThat(badId.body().string())
                    .contains("\"error\":\"X-Request-Id must be 1 to 200 visible ASCII characters\"")
                    .contains("\"instance\":\"test-1\"");
            assertThat(store.hits).isZero();
        });
    }

    @Test
    void requests_jetty_cannot_parse_are_answered_json_naming_the_instance() {
        JavalinTest.test(app, (server, client) -> {
            // Refused by Jetty's parser before any route runs: 400, 414 and 431.
            assertParserRefusal(raw(server, "GET / HTTP/1.1\r\n\r\n"), 400, "Bad Request"); // HTTP/1.1 without Host
            assertParserRefusal(raw(server, "GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "Bad Request");
            assertParserRefusal(
                    raw(server, "GET /" + "a".repeat(70_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "URI Too Long");
            assertParserRefusal(
                    raw(server, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(70_000) + "\r\n\r\n"),
                    431,
                    "Request Header Fields Too Large");
            assertThat(store.hits).isZero();
        });
    }

    private static void assertParserRefusal(String response, int status, String error) {
        assertThat(response)
                .as("%d", status)
                .startsWith("HTTP/1.1 " + status + " ")
                .containsIgnoringCase("\r\nContent-Type: application/json")
                .containsIgnoringCase("\r\nX-Instance-Id: test-1\r\n")
                .endsWith("\r\n\r\n{\"error\":\"" + error + "\",\"instance\":\"test-1\"}");
    }

    /** Sends {@code request} as it is and reads the answer until the server closes the connection. */
    private static String raw(Javalin server, String request) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
