package dev.hitslb.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.ServerControl;
import dev.hitslb.servers.TestServers;
import dev.hitslb.servers.Wait;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A pool PostgreSQL cannot hold stops start-up naming DB_POOL_SIZE, instead of taking the last connections. */
class ConnectionBudgetIT {
    @Test
    void a_pool_beyond_what_postgresql_leaves_the_role_stops_start_up_naming_db_pool_size() throws Exception {
        TestServers.ControlledPostgres pg = TestServers.ownPostgres();
        try (ServerControl server = pg.control()) {
            PostgresEndpoint owner = pg.endpoint();
            try (Connection admin = DriverManager.getConnection(
                            pg.admin().jdbcUrl(), pg.admin().user(), pg.admin().password());
                    Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE " + owner.user() + " CONNECTION LIMIT 6");
            }
            try (Connection held = DriverManager.getConnection(owner.jdbcUrl(), owner.user(), owner.password())) {
                // 6 for the role, 1 held elsewhere (another replica): 5 left, the one asking included; a pool
                // of 5 needs 6 with the database watch's.
                assertThatThrownBy(() -> Postgres.awaitStartup(config(owner, 5)))
                        .isInstanceOf(StartupException.class)
                        .hasMessage(
                                "DB_POOL_SIZE=5 (+ 1 for the database watch) does not fit in PostgreSQL's connection budget: 5 left (DB_USER='"
                                        + owner.user()
                                        + "' has CONNECTION LIMIT 6, 2 in use, this one included); lower DB_POOL_SIZE,"
                                        + " run fewer replicas or raise max_connections (docs/configuration.md#connection-budget)")
                        .extracting(e -> ((StartupException) e).exitCode())
                        .isEqualTo(StartupException.BAD_CONFIGURATION);
                // A closed connection's backend leaves pg_stat_activity a moment later.
                Wait.until(
                        "the refused start-up's connection to end",
                        Duration.ofSeconds(5),
                        () -> roleConnections(held) == 1);
                assertThatCode(() -> Postgres.awaitStartup(config(owner, 4))).doesNotThrowAnyException();
            }
            // Without a role limit, max_connections (100 here) less the 3 reserved for superusers.
            try (Connection admin = DriverManager.getConnection(
                            pg.admin().jdbcUrl(), pg.admin().user(), pg.admin().password());
                    Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE " + owner.user() + " CONNECTION LIMIT -1");
            }
            assertThatCode(() -> Postgres.awaitStartup(config(owner, AppConfig.MAX_POOL_SIZE)))
                    .doesNotThrowAnyException();
        }
    }

    private static int roleConnections(Connection connection) {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = current_user")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AppConfig config(PostgresEndpoint pg, int poolSize) {
        AppConfig config = AppConfig.from(Map.of(
                "DB_URL",
                pg.jdbcUrl(),
                "DB_USER",
                pg.user(),
                "DB_PASSWORD",
                pg.password(),
                "DB_POOL_SIZE",
                Integer.toString(poolSize),
                "DB_STARTUP_TIMEOUT_SECONDS",
                "0"));
        assertThat(config.dbPoolSize()).isEqualTo(poolSize);
        return config;
    }
}
