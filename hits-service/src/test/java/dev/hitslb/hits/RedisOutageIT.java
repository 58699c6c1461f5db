package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.TestServers;
import dev.hitslb.servers.Wait;
import dev.hitslb.testing.Load;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Redis is a cache: losing it mid-load costs no request, and it is back in use without a restart. */
class RedisOutageIT {
    @Test
    void redis_killed_mid_load_fails_no_request_and_recovers_without_restart() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        TestServers.ControlledRedis redis = TestServers.ownRedis();
        TestApp.reset(pg, redis.endpoint());
        try (TestApp app = TestApp.start("redis-outage", pg, redis.endpoint())) {
            CompletableFuture<List<Load.Answer>> load = CompletableFuture.supplyAsync(() ->
                    Load.fixed(4_000, 16, i -> Load.page(app.uri(i % 4 == 0 ? "/api/hits" : "/"), "r-" + i)));
            Thread.sleep(300);
            redis.control().kill();
            List<Load.Answer> result = load.get();

            assertThat(Load.failed(result))
                    .as("non-2xx or failed requests: %s", Load.statuses(result))
                    .isEmpty();
            assertThat(TestApp.dbTotal(pg)).isEqualTo(3_000);
            var ready = app.get("/health/ready");
            assertThat(ready.code()).isEqualTo(200);
            assertThat(ready.body().string()).contains("\"status\":\"DEGRADED\"", "\"redis\":\"DOWN\"");
            assertThat(app.get("/api/hits").body().string()).contains("\"hits\":3000");

            redis.control().start(); // empty, as a crashed cache comes back
            Wait.until(
                    "the cache to be in use again",
                    Duration.ofSeconds(5),
                    () -> app.get("/health/ready").body().string().contains("\"status\":\"UP\""));
            app.get("/", "Accept", "application/json");
            try (RedisClient client =
                    RedisClient.create(redis.endpoint().host(), redis.endpoint().port())) {
                assertThat(client.get(HitCache.KEY)).isEqualTo("3001");
            }
        } finally {
            redis.control().close();
        }
    }

    @Test
    void a_hung_redis_costs_no_request() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        TestServers.ControlledRedis redis = TestServers.ownRedis();
        TestApp.reset(pg, redis.endpoint());
        try (TestApp app = TestApp.start("redis-hang", pg, redis.endpoint())) {
            CompletableFuture<List<Load.Answer>> load = CompletableFuture.supplyAsync(() ->
                    Load.fixed(2_000, 16, i -> Load.page(app.uri(i % 4 == 0 ? "/api/hits" : "/"), "h-" + i)));
            Thread.sleep(200);
            redis.control().pause();
            List<Load.Answer> result = load.get();
            redis.control().resume();

            assertThat(Load.failed(result))
                    .as("non-2xx or failed requests: %s", Load.statuses(result))
                    .isEmpty();
            assertThat(TestApp.dbTotal(pg)).isEqualTo(1_500);
        } finally {
            redis.control().close();
        }
    }
}
