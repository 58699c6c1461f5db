package dev.hitslb.platform;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;

/**
 * What every service built from this template reads from its environment, read once at start-up
 * (a feature reads its own settings the same way, through {@link Env}). Defaults fit local
 * development; an invalid value stops start-up with a message that names the variable.
 */
public record AppConfig(
        int httpPort,
        String bindAddress,
        String instanceId,
        String dbUrl,
        String dbUser,
        String dbPassword,
        int dbPoolSize,
        Duration dbTimeout,
        Duration dbStartupTimeout,
        RedisUrl redis,
        Duration redisTimeout,
        Duration shutdownTimeout) {

    /**
     * The most connections one replica's pool may hold: 4 replicas (3 and the backup) x 20 + 4 opening
     * (start-up, migrations) = 84, within the 97 a PostgreSQL at its default max_connections (100) leaves
     * to ordinary roles (3 are reserved for superusers), with room for a restarted replica and psql.
     */
    public static final int MAX_POOL_SIZE = 20;

    /**
     * Reads and validates every variable of docs/configuration.md#the-services-variables; the database's
     * defaults come from the {@link ServiceSpec}.
     */
    public static AppConfig from(Map<String, String> env) {
        return from(env, ServiceSpec.load());
    }

    static AppConfig from(Map<String, String> env, ServiceSpec spec) {
        Env e = new Env(env);
        String database = spec.database();
        return new AppConfig(
                e.integer("HTTP_PORT", 8080, 1, 65_535),
                e.ipAddress("BIND_ADDRESS", "0.0.0.0"),
                e.text("INSTANCE_ID", hostName()),
                e.jdbcUrl("DB_URL", "jdbc:postgresql://127.0.0.1:5432/" + database),
                e.text("DB_USER", database),
                e.secret("DB_PASSWORD", "DB_PASSWORD_FILE", database),
                e.integer(
                        "DB_POOL_SIZE",
                        4,
                        2,
                        MAX_POOL_SIZE,
                        "a whole number from 2 to " + MAX_POOL_SIZE
                                + ", the most one replica may hold (docs/configuration.md#connection-budget)"),
                Duration.ofMillis(e.integer("DB_TIMEOUT_MS", 900, 100, 60_000)),
                Duration.ofSeconds(e.integer("DB_STARTUP_TIMEOUT_SECONDS", 30, 0, 3_600)),
                e.redisUrl("REDIS_URL", "REDIS_PASSWORD_FILE", "redis://127.0.0.1:6379"),
                Duration.ofMillis(e.integer("REDIS_TIMEOUT_MS", 200, 10, 60_000)),
                Duration.ofMillis(e.integer("SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000)));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
