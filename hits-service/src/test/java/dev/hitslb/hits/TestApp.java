package dev.hitslb.hits;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.ServiceSpec;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import io.javalin.Javalin;
import io.javalin.testtools.HttpClient;
import io.javalin.testtools.Response;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.RedisClient;

/**
 * One real hits-service instance (the production factory) on real PostgreSQL and Redis, in this JVM, for
 * tests. A test asks it through javalin-testtools' client, as HitsAppTest does; concurrent load goes
 * through {@link dev.hitslb.testing.Load}.
 */
final class TestApp implements AutoCloseable {
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    final String instance;
    final int port;
    private final Javalin app;
    private final HttpClient client;

    private TestApp(String instance, Map<String, String> env) {
        this.instance = instance;
        this.port = Integer.parseInt(env.get("HTTP_PORT"));
        AppConfig config = AppConfig.from(env);
        HitsBackend backend = new HitsBackend(config, HitsConfig.from(env));
        backend.start();
        this.app = HitsApp.create(config, backend).start(port);
        this.client = new HttpClient(app, HTTP);
        client.setOrigin("http://127.0.0.1:" + port);
    }

    static TestApp start(String instance, PostgresEndpoint pg, RedisEndpoint redis) {
        return start(instance, pg, redis, Map.of());
    }

    static TestApp start(String instance, PostgresEndpoint pg, RedisEndpoint redis, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(env(pg, redis));
        env.put("INSTANCE_ID", instance);
        env.put("HTTP_PORT", Integer.toString(Ports.free()));
        env.put("BIND_ADDRESS", "127.0.0.1");
        env.putAll(extra);
        return new TestApp(instance, env);
    }

    static Map<String, String> env(PostgresEndpoint pg, RedisEndpoint redis) {
        return Map.of(
                "DB_URL",
                pg.jdbcUrl(),
                "DB_USER",
                pg.user(),
                "DB_PASSWORD",
                pg.password(),
                "REDIS_URL",
                redis.url(),
                "CACHE_REFRESH_MS",
                "200");
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** GET {@code path} with {@code headers} (name, value, name, value ...; none: Accept: *}{@code /*}). */
    Response get(String path, String... headers) {
        String[] pairs = headers.length == 0 ? new String[] {"Accept", "*/*"} : headers;
        return client.get(path, request -> {
            for (int i = 0; i < pairs.length; i += 2) {
                request.header(pairs[i], pairs[i + 1]);
            }
        });
    }

    Response post(String path) {
        return client.post(path);
    }

    /** The value of a counter without labels, read from /metrics. */
    long metric(String name) {
        return get("/metrics")
                .body()
                .string()
                .lines()
                .filter(line -> line.startsWith(name + " "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(name.length() + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }

    /** The "hits" number of a JSON answer. */
    static long hits(String json) {
        return Long.parseLong(json.replaceAll(".*\"hits\":(\\d+).*", "$1"));
    }

    @Override
    public void close() {
        app.stop();
    }

    /**
     * The total as PostgreSQL holds it, read directly with the service spec's total-query (the one
     * ./stack, the load-balancing suites and the benchmark use), so every test that checks a count checks it too.
     */
    static long dbTotal(PostgresEndpoint pg) {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(ServiceSpec.load().get("total-query"))) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Drops everything, so the next app to start migrates a fresh, empty schema. Call before starting apps. */
    private static void resetDatabase(PostgresEndpoint pg) {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE");
            s.execute("CREATE SCHEMA public");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh schema and an empty cache: the two must go together, the cache never moves backwards. */
    static void reset(PostgresEndpoint pg, RedisEndpoint redis) {
        resetDatabase(pg);
        resetCache(redis);
    }

    private static void resetCache(RedisEndpoint redis) {
        try (RedisClient client = RedisClient.create(redis.host(), redis.port())) {
            client.del(HitCache.KEY);
        }
    }
}
