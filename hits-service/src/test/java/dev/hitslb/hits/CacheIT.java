package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import dev.hitslb.servers.RedisServer;
import dev.hitslb.servers.TestServers;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.servers.Wait;
import dev.hitslb.testing.Load;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The Redis copy of the total: never behind a total a client was already shown, never backwards. */
class CacheIT {
    @Test
    void readers_never_see_the_total_go_backwards_nor_below_a_total_already_shown() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        try (TestApp a = TestApp.start("cache-a", pg, redis);
                TestApp b = TestApp.start("cache-b", pg, redis)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong highestShown = new AtomicLong();
            // Two instances write concurrently, so their cache updates can arrive out of order ...
            CompletableFuture<List<Load.Answer>> writers = CompletableFuture.supplyAsync(() -> {
                try {
                    return Load.fixed(
                            6_000, 32, i -> Load.page(List.of(a, b).get(i % 2).uri("/"), "c-" + i), answer -> {
                                if (answer.ok()) {
                                    highestShown.accumulateAndGet(TestApp.hits(answer.body()), Math::max);
                                }
                            });
                } finally {
                    writing.set(false);
                }
            });
            // ... while a reader alternates between them. Each commit reaches Redis before its page loads
            // are answered, so no read may be below a total some client was shown before the read began.
            long previous = 0;
            int reads = 0;
            while (writing.get()) {
                long shownBefore = highestShown.get();
                long read = TestApp.hits(
                        List.of(a, b).get(reads++ % 2).get("/api/hits").body().string());
                assertThat(read).as("read %d after %d", reads, previous).isGreaterThanOrEqualTo(previous);
                assertThat(read)
                        .as("read %d: below a total already shown", reads)
                        .isGreaterThanOrEqualTo(shownBefore);
                previous = read;
            }
            assertThat(Load.statuses(writers.get())).containsOnlyKeys(200);
            assertThat(reads).as("reads made during the load").isGreaterThan(20);
            assertThat(TestApp.hits(a.get("/api/hits").body().string())).isEqualTo(6_000);
        }
    }

    @Test
    void the_cache_logs_in_as_the_redis_url_user_and_uses_its_database() {
        PostgresEndpoint pg = TestServers.postgres();
        TestApp.reset(pg, TestServers.redis());
        // Redis with ACLs: anyone may PING (the start-up check); only "app", with its password, may use keys.
        List<String> acl = List.of(
                "--user", "default", "on", "nopass", "-@all", "+ping", "--user", "app", "on", ">s3cret", "~*", "&*",
                "+@all");
        try (RedisServer redis = RedisServer.start(ThrowawayDirs.create("redis-acl"), Ports.free(), true, acl);
                TestApp app = TestApp.start(
                        "cache-acl",
                        pg,
                        redis.endpoint(),
                        Map.of("REDIS_URL", "redis://app:s3cret@127.0.0.1:" + redis.port() + "/5"));
                RedisClient db5 = login(redis, 5);
                RedisClient db0 = login(redis, 0)) {
            Load.fixed(10, 2, i -> Load.page(app.uri("/"), null));
            Wait.until(
                    "the total in Redis database 5", Duration.ofSeconds(2), () -> "10".equals(db5.get(HitCache.KEY)));
            assertThat(db0.get(HitCache.KEY)).as("database 0").isNull();
            assertThat(app.metric("hits_cache_failures_total"))
                    .as("cache failures")
                    .isZero();
        }
    }

    private static RedisClient login(RedisServer redis, int database) {
        return RedisClient.builder()
                .hostAndPort("127.0.0.1", redis.port())
                .clientConfig(DefaultJedisClientConfig.builder()
                        .user("app")
                        .password("s3cret")
                        .database(database)
                        .build())
                .build();
    }

    @Test
    void a_cache_that_lost_writes_catches_up_within_the_refresh_period() {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        try (TestApp app = TestApp.start("cache-lag", pg, redis);
                RedisClient client = RedisClient.create(redis.host(), redis.port())) {
            Load.fixed(100, 4, i -> Load.page(app.uri("/"), null));
            client.set(HitCache.KEY, "7"); // as if Redis had missed every write since
            // CACHE_REFRESH_MS is 200 in the tests: the cache is fixed well within a second.
            Wait.until("the cache to catch up", Duration.ofSeconds(1), () -> "100".equals(client.get(HitCache.KEY)));
            assertThat(app.get("/api/hits").body().string()).contains("\"hits\":100");
        }
    }

    @Test
    void a_cache_set_too_high_is_corrected_down_within_the_refresh_period() {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        try (TestApp app = TestApp.start("cache-high", pg, redis);
                RedisClient client = RedisClient.create(redis.host(), redis.port())) {
            Load.fixed(100, 4, i -> Load.page(app.uri("/"), null));
            client.set(HitCache.KEY, "999999999"); // anyone who reaches Redis can write it
            Wait.until(
                    "/api/hits to show the first wrong total",
                    Duration.ofSeconds(1),
                    () -> app.get("/api/hits").body().string().contains("\"hits\":999999999"));
            // Before: it answered 999999999 until the replica restarted, however long that took.
            Wait.until(
                    "the cache and the replica to be corrected down to PostgreSQL's total",
                    Duration.ofSeconds(2),
                    () -> "100".equals(client.get(HitCache.KEY))
                            && app.get("/api/hits").body().string().contains("\"hits\":100"));
            Load.fixed(5, 1, i -> Load.page(app.uri("/"), null));
            assertThat(app.get("/api/hits").body().string()).contains("\"hits\":105");
        }
    }
}
