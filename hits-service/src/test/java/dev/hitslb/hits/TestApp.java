package dev.hitslb.hits;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.ServiceSpec;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.RedisClient;

/** One real hits-service instance (the production factory) on real PostgreSQL and Redis, for tests. */
final class TestApp implements AutoCloseable {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String instance;
    final int port;
    private final Javalin app;

    private TestApp(String instance, Map<String, String> env) {
        this.instance = instance;
        this.port = Integer.parseInt(env.get("HTTP_PORT"));
        AppConfig config = AppConfig.from(env);
        HitsBackend backend = new HitsBackend(config, HitsConfig.from(env));
        backend.start();
        this.app = HitsApp.create(config, backend).start(port);
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

    HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path))
                .headers(headers.length == 0 ? new String[] {"Accept", "*/*"} : headers)
                .GET()
                .build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of a counter without labels, read from /metrics. */
    long metric(String name) {
        return get("/metrics")
                .body()
                .lines()
                .filter(line -> line.startsWith(name + " "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(name.length() + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
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
