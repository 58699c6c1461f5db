package dev.hitslb.platform;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** PostgreSQL plumbing: the schema migration, the connection pool, and round trips bounded in time. */
public final class Postgres {
    /** pgjdbc applies a network timeout itself; the executor is never used. */
    private static final Executor DIRECT = Runnable::run;

    private static final Duration STARTUP_RETRY_EVERY = Duration.ofSeconds(1);
    private static final Duration STARTUP_REPORT_EVERY = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(Postgres.class);

    private Postgres() {}

    /**
     * Applies src/main/resources/db/migration; call after {@link #awaitStartup} (PostgreSQL answers). On a
     * connection of its own: a cold JVM's first connection can outlast the pool's 250 ms connection
     * timeout, which would cost a retry at every start.
     */
    public static void migrate(AppConfig config) {
        try {
            Flyway.configure()
                    .dataSource(config.dbUrl(), config.dbUser(), config.dbPassword())
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            // Flyway's message says which migration and why; its stack trace says nothing an operator can use.
            throw new StartupException(
                    StartupException.UNAVAILABLE,
                    "the database migration at DB_URL='" + Secrets.maskUrl(config.dbUrl()) + "' failed: "
                            + Secrets.scrub(e.getMessage(), config));
        }
    }

    /**
     * Waits until PostgreSQL accepts our credentials (compose may start us first), for at most
     * DB_STARTUP_TIMEOUT_SECONDS, with a progress line every few seconds. Refused credentials or a
     * missing database are not retried: waiting cannot fix the environment.
     *
     * @throws StartupException naming DB_USER and DB_PASSWORD, or DB_URL, and the cause
     */
    public static void awaitStartup(AppConfig config) {
        String url = Secrets.maskUrl(config.dbUrl()); // for messages: a ?password= never reaches a log
        long start = System.nanoTime();
        long deadline = start + config.dbStartupTimeout().toNanos();
        long nextReport = start;
        while (true) {
            long left = deadline - System.nanoTime();
            try (Connection connection = connect(config, Math.clamp(TimeUnit.NANOSECONDS.toSeconds(left), 1, 5))) {
                if (nextReport != start) {
                    log.info(
                            "PostgreSQL at {} answered after {} ms",
                            url,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                checkConnectionBudget(connection, config);
                return;
            } catch (SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                String why = Secrets.scrub(e.getMessage(), config);
                if (state.startsWith("28")) { // 28P01 wrong password, 28000 no such role or no pg_hba.conf entry
                    throw new StartupException(
                            StartupException.BAD_CONFIGURATION,
                            "PostgreSQL at DB_URL='" + url
                                    + "' refused DB_USER='" + config.dbUser()
                                    + "' with the DB_PASSWORD given (or DB_PASSWORD_FILE's): "
                                    + why);
                }
                if ("3D000".equals(state)) {
                    throw new StartupException(
                            StartupException.BAD_CONFIGURATION, "invalid DB_URL='" + url + "': " + why);
                }
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw new StartupException(
                            StartupException.UNAVAILABLE,
                            "PostgreSQL at DB_URL='" + url
                                    + "' did not answer within "
                                    + config.dbStartupTimeout().toSeconds()
                                    + " s (DB_STARTUP_TIMEOUT_SECONDS): " + why);
                }
                if (now >= nextReport) {
                    log.warn(
                            "waiting for PostgreSQL at {}, {} s left: {}",
                            url,
                            TimeUnit.NANOSECONDS.toSeconds(deadline - now),
                            why);
                    nextReport = now + STARTUP_REPORT_EVERY.toNanos();
                }
                sleep(Math.min(STARTUP_RETRY_EVERY.toNanos(), deadline - now));
            }
        }
    }

    /**
     * Refuses to start a pool PostgreSQL cannot hold: DB_POOL_SIZE, plus the {@link DatabaseWatch}'s one
     * connection, must fit in the connections left to
     * DB_USER now, i.e. max_connections less those reserved (for superusers, and for
     * pg_use_reserved_connections on PostgreSQL >= 16) less those in use, and within the role's own
     * CONNECTION LIMIT. Otherwise the pool would take the last connections and a restarted replica
     * could not come back. The connection asking is counted as free: it closes before the pool opens.
     *
     * @throws StartupException naming DB_POOL_SIZE and the figures
     */
    static void checkConnectionBudget(Connection connection, AppConfig config) {
        String sql = """
                SELECT current_setting('max_connections')::int,
                       current_setting('superuser_reserved_connections')::int
                           + coalesce(current_setting('reserved_connections', true)::int, 0),
                       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                       (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user),
                       (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user)
                """;
        int max;
        int reserved;
        int inUse;
        int roleLimit;
        int roleInUse;
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            max = rs.getInt(1);
            reserved = rs.getInt(2);
            inUse = rs.getInt(3);
            roleLimit = rs.getInt(4);
            roleInUse = rs.getInt(5);
        } catch (SQLException e) {
            log.warn("could not read PostgreSQL's connection budget, DB_POOL_SIZE not checked: {}", e.getMessage());
            return;
        }
        int free = max - reserved - inUse + 1;
        String figures = "max_connections " + max + " - " + reserved + " reserved - " + inUse + " in use";
        if (roleLimit >= 0 && roleLimit - roleInUse + 1 < free) {
            free = roleLimit - roleInUse + 1;
            figures = "DB_USER='" + config.dbUser() + "' has CONNECTION LIMIT " + roleLimit + ", " + roleInUse
                    + " in use";
        }
        if (config.dbPoolSize() + 1 > free) {
            throw new StartupException(
                    StartupException.BAD_CONFIGURATION,
                    "DB_POOL_SIZE=" + config.dbPoolSize()
                            + " (+ 1 for the database watch) does not fit in PostgreSQL's connection budget: "
                            + Math.max(free, 0) + " left (" + figures
                            + ", this one included); lower DB_POOL_SIZE, run fewer replicas or raise max_connections"
                            + " (docs/configuration.md#connection-budget)");
        }
        log.info(
                "connection budget: DB_POOL_SIZE={} + 1 (the database watch) of the {} connections left ({}, this one included)",
                config.dbPoolSize(),
                free,
                figures);
    }

    /** One connection straight from the driver, its connect and log-in bounded by {@code timeoutSeconds}. */
    static Connection connect(AppConfig config, long timeoutSeconds) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", config.dbUser());
        properties.setProperty("password", config.dbPassword());
        properties.setProperty("connectTimeout", Long.toString(timeoutSeconds));
        properties.setProperty("loginTimeout", Long.toString(timeoutSeconds));
        properties.setProperty("socketTimeout", Long.toString(timeoutSeconds));
        return new Driver().connect(config.dbUrl(), properties);
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException(StartupException.UNAVAILABLE, "interrupted while waiting for PostgreSQL");
        }
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
        hikari.addDataSourceProperty("ApplicationName", config.instanceId());
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
}
