package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The service logs in as the role that owns its database and schema, and nothing more: a superuser
 * login took the connections PostgreSQL reserves for administrators (issue 15, item 6).
 */
class DatabaseRoleIT {
    @Test
    void the_service_s_role_owns_its_schema_and_is_no_superuser() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        TestApp.reset(pg, TestServers.redis());
        try (TestApp app = TestApp.start("role", pg, TestServers.redis());
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                Statement s = c.createStatement()) {
            assertThat(app.get("/api/hits").code()).isEqualTo(200);
            try (ResultSet role =
                    s.executeQuery("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
                            + " FROM pg_roles WHERE rolname = current_user")) {
                assertThat(role.next()).isTrue();
                for (int column = 1; column <= 5; column++) {
                    assertThat(role.getBoolean(column))
                            .as(role.getMetaData().getColumnName(column))
                            .isFalse();
                }
            }
            // The migrations ran as this role: it owns the schema and every table in it.
            List<String> owners = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                    + " UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")) {
                while (rs.next()) {
                    owners.add(rs.getString(1));
                }
            }
            assertThat(owners).containsExactly(pg.user());
            assertThatThrownBy(() -> s.execute("CREATE ROLE intruder")).hasMessageContaining("permission denied");
        }
    }
}
