package dev.hitslb.lbtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.Commands;
import dev.hitslb.servers.ServerControl;
import dev.hitslb.servers.TestServers;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * (Here, not in hits-service: the script is compose's, at the repository's root, and a service copied
 * from hits-service gets its own.) compose's postgres runs postgres-init/ once, with psql, as its superuser: the script makes the role
 * the replicas log in as, owner of its database and nothing more. Run here as the image runs it, on a
 * real PostgreSQL, with the secret it reads at another path.
 */
class ComposeDatabaseRoleIT {
    private static final Path SCRIPT =
            Path.of(System.getProperty("hits.root", ".."), "postgres-init", "01-hits-role.sql");

    @Test
    void the_init_script_creates_the_replicas_role_owning_its_database_and_no_superuser(@TempDir Path dir)
            throws Exception {
        Path secret = Files.writeString(dir.resolve("db-password"), "s3cret\n");
        Path script = Files.writeString(
                dir.resolve("init.sql"),
                Files.readString(SCRIPT).replace("/run/secrets/db-password", secret.toString()));
        TestServers.ControlledPostgres pg = TestServers.ownPostgres();
        try (ServerControl server = pg.control()) {
            URI url = URI.create(pg.admin().jdbcUrl().substring("jdbc:".length()));
            // As docker-entrypoint.sh runs each *.sql: psql -v ON_ERROR_STOP=1 --no-psqlrc as POSTGRES_USER.
            Commands.run(
                    List.of(
                            Binaries.require("psql").toString(),
                            "-v",
                            "ON_ERROR_STOP=1",
                            "--no-psqlrc",
                            "-h",
                            url.getHost(),
                            "-p",
                            Integer.toString(url.getPort()),
                            "-U",
                            pg.admin().user(),
                            "-d",
                            "postgres",
                            "-f",
                            script.toString()),
                    Map.of("PGPASSWORD", pg.admin().password()),
                    Duration.ofSeconds(30));

            String hits = "jdbc:postgresql://" + url.getHost() + ":" + url.getPort() + "/hits";
            try (Connection c = DriverManager.getConnection(hits, "hits", "s3cret");
                    Statement s = c.createStatement()) {
                try (ResultSet role = s.executeQuery("SELECT rolsuper, rolcreatedb, rolcreaterole,"
                        + " pg_get_userbyid(d.datdba) FROM pg_roles, pg_database d"
                        + " WHERE rolname = current_user AND d.datname = current_database()")) {
                    assertThat(role.next()).isTrue();
                    assertThat(List.of(role.getBoolean(1), role.getBoolean(2), role.getBoolean(3)))
                            .containsOnly(false);
                    assertThat(role.getString(4)).as("the database's owner").isEqualTo("hits");
                }
                s.execute("CREATE TABLE migrations_can_create_tables (id int)"); // what Flyway does as this role
                assertThatThrownBy(() -> s.execute("CREATE ROLE intruder")).hasMessageContaining("permission denied");
            }
        }
    }
}
