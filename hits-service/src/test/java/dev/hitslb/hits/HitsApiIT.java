package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.platform.ServiceSpec;
import dev.hitslb.platform.WebServer;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import dev.hitslb.servers.TestServers;
import io.javalin.testtools.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP contract (docs/configuration.md#http-api), against a real instance on real PostgreSQL and Redis. */
class HitsApiIT {
    private static final String JSON = "application/json";
    private static PostgresEndpoint pg;
    private static RedisEndpoint redis;
    private static TestApp app;

    @BeforeAll
    static void start() {
        pg = TestServers.postgres();
        redis = TestServers.redis();
        TestApp.reset(pg, redis);
        app = TestApp.start("hits-api-1", pg, redis);
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    private long total;

    @BeforeEach
    void readTotal() {
        total = TestApp.dbTotal(pg);
    }

    @Test
    void count_increments_on_every_page_load() {
        for (int i = 1; i <= 3; i++) {
            Response response = app.get("/", "Accept", JSON);
            assertThat(response.code()).isEqualTo(200);
            assertThat(response.headers().get("Content-Type"))
                    .singleElement()
                    .satisfies(t -> assertThat(t).startsWith(JSON));
            assertThat(response.body().string())
                    .isEqualTo("{\"instance\":\"hits-api-1\",\"hits\":" + (total + i) + "}");
        }
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total + 3);
    }

    @Test
    void browser_gets_html_with_the_count_and_the_instance() {
        Response response = app.get("/", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.headers().get("Content-Type"))
                .singleElement()
                .satisfies(t -> assertThat(t).startsWith("text/html"));
        assertThat(response.body().string())
                .contains("hits-api-1")
                .contains(String.format(java.util.Locale.ROOT, "%,d", total + 1));
    }

    @Test
    void api_hits_reads_the_total_without_counting() {
        app.get("/", "Accept", JSON);
        for (int i = 0; i < 3; i++) {
            assertThat(app.get("/api/hits").body().string())
                    .isEqualTo("{\"instance\":\"hits-api-1\",\"hits\":" + (total + 1) + "}");
        }
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total + 1);
    }

    @Test
    void the_service_spec_names_paths_that_answer_and_count_nothing() {
        // ./stack waits for ready-path on each replica and for probe-path through nginx
        // (META-INF/lb-service.properties).
        for (String key : new String[] {"ready-path", "probe-path"}) {
            assertThat(app.get(ServiceSpec.load().get(key)).code()).as(key).isEqualTo(200);
        }
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total);
    }

    @Test
    void health_probes_and_metrics_never_count() {
        assertThat(app.get("/health/live").code()).isEqualTo(200);
        Response ready = app.get("/health/ready");
        assertThat(ready.code()).isEqualTo(200);
        assertThat(ready.body().string()).contains("\"status\":\"UP\"", "\"postgres\":\"UP\"", "\"redis\":\"UP\"");
        assertThat(app.get("/metrics").code()).isEqualTo(200);
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total);
    }

    @Test
    void a_retry_with_the_same_request_id_is_not_counted_again() {
        Response first = app.get("/", "Accept", JSON, "X-Request-Id", "retry-me-" + total);
        Response retry = app.get("/", "Accept", JSON, "X-Request-Id", "retry-me-" + total);
        assertThat(first.body().string()).isEqualTo("{\"instance\":\"hits-api-1\",\"hits\":" + (total + 1) + "}");
        assertThat(retry.code()).isEqualTo(200);
        assertThat(retry.body().string()).isEqualTo(first.body().string());
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total + 1);
    }

    @Test
    void a_request_id_is_remembered_by_the_key_the_migration_computes_for_ids_it_converted() throws Exception {
        String id = "remembered-" + total;
        assertThat(app.get("/", "Accept", JSON, "X-Request-Id", id).code()).isEqualTo(200);
        // V2__request_keys.sql turned every remembered id into this key: a retry after the upgrade is still recognised.
        try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                var s = c.prepareStatement("SELECT count(*) FROM hit_request WHERE request_key"
                        + " = encode(substring(sha256(convert_to(?, 'UTF8')) FROM 1 FOR 16), 'hex')::uuid")) {
            s.setString(1, id);
            try (var rs = s.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void a_malformed_request_id_is_a_400_and_not_counted() {
        Response response = app.get("/", "Accept", JSON, "X-Request-Id", "x".repeat(201));
        assertThat(response.code()).isEqualTo(400);
        assertThat(response.body().string())
                .contains("\"error\":\"X-Request-Id must be")
                .contains("\"instance\":\"hits-api-1\"");
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total);
    }

    @Test
    void unknown_route_is_a_json_404_naming_the_instance() {
        Response response = app.get("/nope", "Accept", JSON);
        assertThat(response.code()).isEqualTo(404);
        assertThat(response.headers().get("X-Instance-Id")).containsExactly("hits-api-1");
        assertThat(response.body().string())
                .contains("\"error\":\"no such page: /nope\"", "\"instance\":\"hits-api-1\"");
    }

    @Test
    void wrong_method_is_a_json_405_and_not_counted() {
        Response response = app.post("/");
        assertThat(response.code()).isEqualTo(405);
        assertThat(response.headers().get("X-Instance-Id")).containsExactly("hits-api-1");
        assertThat(response.body().string()).contains("\"error\":\"POST is not allowed on /\"");
        assertThat(TestApp.dbTotal(pg)).isEqualTo(total);
    }

    @Test
    void every_response_names_the_instance() {
        for (String path : new String[] {"/", "/api/hits", "/health/live", "/health/ready", "/metrics", "/missing"}) {
            assertThat(app.get(path).headers().get("X-Instance-Id")).as(path).containsExactly("hits-api-1");
        }
    }

    @Test
    void metrics_are_prometheus_text() {
        app.get("/", "Accept", JSON);
        Response response = app.get("/metrics");
        assertThat(response.headers().get("Content-Type"))
                .singleElement()
                .satisfies(t -> assertThat(t).startsWith("text/plain"));
        assertThat(response.body().string())
                .contains("# TYPE hits_counted_total counter", "hits_batch_size_bucket", "jvm_memory_used_bytes");
        // Longer than the buffer Javalin copies a body through: it arrives whole, to its last sample.
        assertThat(response.body().string())
                .hasSizeGreaterThan(WebServer.RESPONSE_COPY_BUFFER)
                .endsWith("\n")
                .contains("process_virtual_memory_bytes ");
    }
}
