package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import dev.hitslb.servers.TestServers;
import dev.hitslb.testing.Load;
import io.javalin.testtools.Response;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Two instances on one database: every page load counted once, retries (same X-Request-Id) never. */
class ExactlyOnceIT {
    @Test
    void two_instances_count_each_request_id_exactly_once_under_concurrency() {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        try (TestApp a = TestApp.start("exactly-once-a", pg, redis);
                TestApp b = TestApp.start("exactly-once-b", pg, redis)) {
            List<TestApp> apps = List.of(a, b);

            // 5,000 distinct page loads at 32 concurrent, alternating between the instances.
            List<Load.Answer> first =
                    Load.fixed(5_000, 32, i -> Load.page(apps.get(i % 2).uri("/"), "req-" + i));
            // 500 retries of ids already counted, sent to the other instance than the original where i is even.
            List<Load.Answer> retries =
                    Load.fixed(500, 32, i -> Load.page(apps.get((i + 1) % 2).uri("/"), "req-" + (i * 10)));

            assertThat(Load.statuses(first)).isEqualTo(Map.of(200, 5_000L));
            assertThat(Load.statuses(retries)).isEqualTo(Map.of(200, 500L));
            assertThat(TestApp.dbTotal(pg)).isEqualTo(5_000);
            // Each counted page load got its own number, 1 to 5,000, none twice, none skipped.
            TreeSet<Long> numbers = new TreeSet<>(first.stream()
                    .filter(Load.Answer::ok)
                    .map(Load.Answer::body)
                    .map(TestApp::hits)
                    .toList());
            assertThat(numbers)
                    .hasSize(5_000)
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, 5_000).boxed().toList());
            assertThat(a.get("/api/hits").body().string()).contains("\"hits\":5000");
            assertThat(b.get("/api/hits").body().string()).contains("\"hits\":5000");
        }
    }

    @Test
    void page_loads_without_a_request_id_are_each_counted_once() {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        try (TestApp a = TestApp.start("anonymous-a", pg, redis)) {
            List<Load.Answer> result = Load.fixed(1_000, 16, i -> Load.page(a.uri("/"), null));
            assertThat(Load.statuses(result)).isEqualTo(Map.of(200, 1_000L));
            assertThat(TestApp.dbTotal(pg)).isEqualTo(1_000);
        }
    }

    @Test
    void a_page_load_nginx_sent_longer_ago_than_the_bound_counts_nothing() {
        // A replica stopped (SIGSTOP) for minutes finds nginx's requests in its socket buffer when it
        // resumes. nginx gave up on them long ago and retried them elsewhere, where they were counted, and
        // their ids may be forgotten since. Before: their age started when Jetty read them, and they were
        // counted again (a 300 s stall under load: +19). Now it starts when nginx sent them.
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        // Retention 60 s: a page load may wait up to 20 s to be counted.
        try (TestApp app = TestApp.start("late", pg, redis, Map.of("REQUEST_ID_RETENTION_SECONDS", "60"))) {
            var stale = sentAgo(app, "late-1", 300);
            assertThat(stale.code()).isEqualTo(503);
            assertThat(stale.body().string())
                    .contains("sent more than 20 s ago")
                    .contains("not counted");
            assertThat(sentAgo(app, "late-2", 21).code()).isEqualTo(503);
            assertThat(TestApp.dbTotal(pg)).as("nothing counted").isZero();
            assertThat(app.metric("hits_too_late_total")).isEqualTo(2);

            assertThat(sentAgo(app, "late-3", 15).code()).isEqualTo(200);
            // nginx's clock ahead of this one: counted as if sent now.
            assertThat(sentAgo(app, "late-4", -600).code()).isEqualTo(200);
            assertThat(TestApp.dbTotal(pg)).isEqualTo(2);
        }
    }

    /** GET / with {@code id}, as nginx would send it had it sent it {@code seconds} ago (X-Request-Start: t=$msec). */
    private static Response sentAgo(TestApp app, String id, long seconds) {
        Instant sent = Instant.now().minusSeconds(seconds);
        String stamp = "t=" + sent.getEpochSecond() + "." + String.format("%03d", sent.getNano() / 1_000_000);
        return app.get("/", "X-Request-Id", id, "X-Request-Start", stamp);
    }

    @Test
    void a_batch_that_waited_longer_than_the_bound_counts_nothing_by_postgresql_s_clock() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(pg.jdbcUrl());
        dataSource.setUser(pg.user());
        dataSource.setPassword(pg.password());
        HitRepository repository = new HitRepository(dataSource);
        Duration bound = Duration.ofSeconds(60);
        try (TestApp app = TestApp.start("stalled", pg, redis);
                Connection connection = repository.connection()) {
            // A replica stalled 300 s with this batch in hand (SIGSTOP, a long GC pause): the id it could
            // repeat may have been counted elsewhere and forgotten since. Before: counted, so counted twice.
            assertThat(repository.record(
                            connection,
                            List.of("stalled-1", "stalled-2"),
                            3,
                            Instant.now().minusSeconds(300),
                            bound))
                    .as("too late: nothing counted")
                    .isNull();
            assertThat(TestApp.dbTotal(pg)).isZero();
            // Just within the bound: counted, once.
            HitRepository.BatchResult inTime = repository.record(
                    connection,
                    List.of("stalled-1"),
                    1,
                    Instant.now().minus(bound).plusSeconds(5),
                    bound);
            assertThat(inTime.total()).isEqualTo(2);
            assertThat(inTime.freshIds()).containsExactly("stalled-1");
            assertThat(TestApp.dbTotal(pg)).isEqualTo(2);
        }
    }
}
