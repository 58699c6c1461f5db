package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.DatabaseUnavailableException;
import dev.hitslb.platform.Metrics;
import io.javalin.Javalin;
import io.javalin.testtools.JavalinTest;
import io.javalin.testtools.Response;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The writer thread's death, without PostgreSQL: a pool that throws an Error kills it. */
class HitCounterTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void a_dead_writer_makes_the_instance_unready_and_fails_counts_at_once() {
        // Before: the Error escaped the loop, the thread died quietly, /health/ready said 200, and every
        // page load waited the whole DB_TIMEOUT_MS for a batch that never came.
        DataSource dying = (DataSource) Proxy.newProxyInstance(
                DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    throw new StackOverflowError("simulated");
                });
        Metrics metrics = new Metrics();
        HitCounter counter = new HitCounter(
                new HitRepository(dying),
                null,
                new HitMetrics(metrics.registry()),
                TIMEOUT,
                Duration.ofSeconds(60),
                () -> {});
        try {
            assertFailsWellWithinTheTimeout(() -> counter.count("first", null));
            assertFailsWellWithinTheTimeout(() -> counter.count("second", null));
            // A 503's body carries this message: it says counting stopped, never the internal cause.
            assertThatThrownBy(() -> counter.count(null, null)).hasMessage("counting is unavailable on this instance");

            Javalin app = HitsApp.create(
                    AppConfig.from(Map.of("INSTANCE_ID", "test-1")),
                    new HitsAppTest.FakeStore(),
                    metrics,
                    List.of(counter.healthCheck()),
                    () -> {});
            JavalinTest.test(app, (server, client) -> {
                Response ready = client.get("/health/ready");
                assertThat(ready.code()).isEqualTo(503);
                assertThat(ready.body().string()).contains("\"hit-writer\":\"DOWN\"");
            });
        } finally {
            counter.close();
        }
    }

    private static void assertFailsWellWithinTheTimeout(Runnable count) {
        long started = System.nanoTime();
        assertThatThrownBy(count::run).isInstanceOf(DatabaseUnavailableException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                .as("ms to fail; a hang would take the %d ms timeout", TIMEOUT.toMillis())
                .isLessThan(TIMEOUT.toMillis() / 2);
    }
}
