package dev.hitslb.platform;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** PostgreSQL plumbing: the schema migration, the connection pool, and round trips bounded in time. */
public final class Postgres {
    /** A probe must answer quickly even when PostgreSQL hangs. */
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    /** pgjdbc applies a network timeout itself; the executor is never used. */
    private static final Executor DIRECT = Runnable::run;

    private Postgres() {
    }

    /**
     * Applies src/main/resources/db/migration, waiting for PostgreSQL for a while (compose may start
     * us first). On a connection of its own: a cold JVM's first connection can outlast the pool's
     * 250 ms connection timeout, which would cost a retry at every start.
     */
    public static void migrate(AppConfig config) {
        Flyway.configure().dataSource(config.dbUrl(), config.dbUser(), config.dbPassword())
                .connectRetries(10).load().migrate();
    }

    /** The pool, with its first connection open; call after {@link #migrate} (PostgreSQL is up). */
    public static HikariDataSource pool(String name, AppConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName(name);
        hikari.setJdbcUrl(config.dbUrl());
        hikari.setUsername(config.dbUser());
        hikari.setPassword(config.dbPassword());
        // One connection is the batch writer's; the rest serve reads, probes and housekeeping.
        hikari.setMaximumPoolSize(config.dbPoolSize());
        // Fail fast when PostgreSQL is away: a waiting request is answered 503 well within a second.
        hikari.setConnectionTimeout(250);
        hikari.setValidationTimeout(250);
        // PostgreSQL is up (Flyway just used it): open the first connection before serving.
        hikari.setInitializationFailTimeout(10_000);
        hikari.addDataSourceProperty("connectTimeout", 1);
        hikari.addDataSourceProperty("tcpKeepAlive", true);
        hikari.addDataSourceProperty("ApplicationName", "hits-service " + config.instanceId());
        return new HikariDataSource(hikari);
    }

    /** Bounds every round trip on {@code connection} by {@code timeout}. */
    public static void limit(Connection connection, Duration timeout) throws SQLException {
        connection.setNetworkTimeout(DIRECT, (int) Math.max(1, timeout.toMillis()));
    }

    /** A borrowed connection whose every round trip is bounded by {@code timeout}. */
    public static Connection connection(DataSource dataSource, Duration timeout) throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            limit(connection, timeout);
            return connection;
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    /** Whether the database answers within {@code timeout}. */
    static boolean isReachable(DataSource dataSource, Duration timeout) {
        try (Connection connection = connection(dataSource, timeout)) {
            return connection.isValid((int) Math.max(1, timeout.toSeconds()));
        } catch (SQLException e) {
            return false;
        }
    }

    /** "postgres" on /health/ready: required, the instance cannot serve without it. */
    public static HealthCheck healthCheck(DataSource dataSource) {
        return HealthCheck.required("postgres", () -> isReachable(dataSource, PROBE_TIMEOUT));
    }
}
