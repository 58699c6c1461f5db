package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import dev.hitslb.servers.TestServers;
import dev.hitslb.servers.Wait;
import dev.hitslb.testing.Load;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged service as a process: bad configuration, readiness, SIGTERM under load. */
class ServiceProcessIT {
    @Test
    void a_bad_environment_variable_stops_start_up_naming_it() throws Exception {
        ServiceProcess service = ServiceProcess.start(Map.of("HTTP_PORT", "eighty"));
        assertThat(service.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(service.process.exitValue()).isEqualTo(2);
        assertThat(service.output())
                .contains("hits-service: invalid HTTP_PORT='eighty': expected a whole number from 1 to 65535");
    }

    @Test
    void a_taken_port_stops_start_up_at_once_naming_it() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = new HashMap<>(TestApp.env(pg, TestServers.redis()));
            env.put("HTTP_PORT", Integer.toString(taken.getLocalPort()));
            // Before: "Failed to bind", then the writer thread and the pools kept the process up forever.
            stopsAtOnce(env, 1, "hits-service: port " + taken.getLocalPort() + " is in use (HTTP_PORT)");
        }
    }

    @Test
    void an_address_not_of_this_machine_stops_start_up_at_once_naming_it() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        Map<String, String> env = new HashMap<>(TestApp.env(pg, TestServers.redis()));
        int port = Ports.free();
        env.put("HTTP_PORT", Integer.toString(port));
        env.put("BIND_ADDRESS", "192.0.2.1"); // TEST-NET-1 (RFC 5737): no machine's own address; nothing is sent
        // Before: "port N is in use", which it was not.
        stopsAtOnce(env, 1, "hits-service: cannot listen on BIND_ADDRESS='192.0.2.1' HTTP_PORT=" + port + ": ");
    }

    @Test
    void a_wrong_database_password_stops_start_up_at_once_naming_it() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        Map<String, String> env = new HashMap<>(TestApp.env(pg, TestServers.redis()));
        env.put("HTTP_PORT", Integer.toString(Ports.free()));
        env.put("DB_PASSWORD", "not-" + pg.password());
        // Before: Flyway retried it for about 490 s, then a stack trace.
        String output = stopsAtOnce(
                env,
                2,
                "hits-service: PostgreSQL at DB_URL='" + pg.jdbcUrl() + "' refused DB_USER='" + pg.user()
                        + "' with the DB_PASSWORD given (or DB_PASSWORD_FILE's): ");
        assertThat(output).doesNotContain("not-" + pg.password());
    }

    @Test
    void an_unreachable_database_is_awaited_for_db_startup_timeout_seconds_then_named() throws Exception {
        String nobody = "jdbc:postgresql://127.0.0.1:" + Ports.free() + "/hits";
        Map<String, String> env = Map.of(
                "HTTP_PORT",
                Integer.toString(Ports.free()),
                "DB_URL",
                nobody,
                "DB_STARTUP_TIMEOUT_SECONDS",
                "3",
                "REDIS_URL",
                TestServers.redis().url());
        // Before: Flyway retried it for about 490 s, then a stack trace.
        String output = stopsAtOnce(
                env,
                1,
                "hits-service: PostgreSQL at DB_URL='" + nobody
                        + "' did not answer within 3 s (DB_STARTUP_TIMEOUT_SECONDS): Connection to 127.0.0.1:");
        assertThat(output).as("progress while waiting").contains("waiting for PostgreSQL at " + nobody);
    }

    @Test
    void a_malformed_db_url_stops_start_up_at_once_without_printing_its_password() throws Exception {
        // Before: retried for DB_STARTUP_TIMEOUT_SECONDS (exit 1), the driver's messages printing the password.
        for (String url : List.of(
                "jdbc:postgresql://u:hunter2@nowhere/x",
                "jdbc:postgresql://127.0.0.1:notaport/hits?password=hunter2")) {
            Map<String, String> env = Map.of(
                    "HTTP_PORT",
                    Integer.toString(Ports.free()),
                    "DB_URL",
                    url,
                    "REDIS_URL",
                    TestServers.redis().url());
            String output = stopsAtOnce(env, 2, "hits-service: invalid DB_URL='");
            assertThat(output).as(url).doesNotContain("hunter2");
        }
    }

    @Test
    void no_start_up_failure_prints_a_configured_secret() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        String nobody = "jdbc:postgresql://127.0.0.1:" + Ports.free() + "/hits?password=hunter2-url";
        List<Map<String, String>> failures = List.of(
                // PostgreSQL away: the driver's message names the URL, here with a password parameter
                Map.of("DB_URL", nobody, "DB_PASSWORD", "hunter2-db", "DB_STARTUP_TIMEOUT_SECONDS", "2"),
                // refused credentials
                Map.of("DB_URL", pg.jdbcUrl(), "DB_USER", pg.user(), "DB_PASSWORD", "hunter2-db"),
                // a database that does not exist
                Map.of(
                        "DB_URL",
                        pg.jdbcUrl().replaceAll("/[^/?]+$", "/no_such_db") + "?password=hunter2-url",
                        "DB_USER",
                        pg.user(),
                        "DB_PASSWORD",
                        "hunter2-db"));
        for (Map<String, String> failure : failures) {
            Map<String, String> env = new HashMap<>(failure);
            env.put("HTTP_PORT", Integer.toString(Ports.free()));
            env.put(
                    "REDIS_URL",
                    "redis://:hunter2-redis@" + TestServers.redis().host() + ":"
                            + TestServers.redis().port());
            String output =
                    stopsAtOnce(env, failure.containsKey("DB_STARTUP_TIMEOUT_SECONDS") ? 1 : 2, "hits-service: ");
            assertThat(output).as("%s", failure).doesNotContain("hunter2");
        }
    }

    @Test
    void a_failed_migration_stops_start_up_with_one_line() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        // A schema that holds someone else's hit_counter and no migration history: Flyway refuses to migrate it.
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS not_ours CASCADE");
            s.execute("CREATE SCHEMA not_ours");
            s.execute("CREATE TABLE not_ours.hit_counter (id text)");
        }
        Map<String, String> env = new HashMap<>(TestApp.env(pg, TestServers.redis()));
        env.put("HTTP_PORT", Integer.toString(Ports.free()));
        env.put("DB_URL", pg.jdbcUrl() + (pg.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=not_ours");
        // Before: 33 lines of stack trace and no hits-service: line.
        String output = stopsAtOnce(env, 1, "hits-service: the database migration at DB_URL='");
        assertThat(output).contains("not_ours");
    }

    /**
     * Runs the jar on {@code env} and expects it to exit with {@code exitCode} well within 15 s (a few
     * seconds on a quiet machine), saying so in one line that starts with {@code line}, without a stack trace.
     */
    private static String stopsAtOnce(Map<String, String> env, int exitCode, String line) throws Exception {
        long started = System.nanoTime();
        ServiceProcess service = ServiceProcess.start(env);
        boolean exited = service.process.waitFor(15, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (!exited) {
            service.process.destroyForcibly().waitFor();
        }
        String output = service.output();
        System.out.printf(
                "exited=%s in %d ms with %s:%n%s%n", exited, ms, exited ? service.process.exitValue() : "-", output);
        assertThat(exited).as("exited within 15 s; output:%n%s", output).isTrue();
        assertThat(service.process.exitValue()).as("exit code").isEqualTo(exitCode);
        assertThat(output.lines().filter(l -> l.startsWith(line)))
                .as("the one line naming the cause")
                .hasSize(1);
        assertThat(output).as("no stack trace").doesNotContain("\tat ", "Exception");
        return output;
    }

    @Test
    void sigterm_under_load_finishes_in_flight_requests_and_counts_exactly_the_200s() throws Exception {
        PostgresEndpoint pg = TestServers.postgres();
        RedisEndpoint redis = TestServers.redis();
        TestApp.reset(pg, redis);
        int port = Ports.free();
        Map<String, String> env = new HashMap<>(TestApp.env(pg, redis));
        env.put("HTTP_PORT", Integer.toString(port));
        env.put("INSTANCE_ID", "graceful-1");
        long started = System.nanoTime();
        ServiceProcess service = ServiceProcess.start(env);
        URI base = URI.create("http://127.0.0.1:" + port);
        Wait.until("the service to be ready", Duration.ofSeconds(30), () -> ready(base));
        System.out.printf(
                "hits-service process ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

        CompletableFuture<List<Load.Answer>> load = CompletableFuture.supplyAsync(
                () -> Load.fixed(20_000, 16, i -> Load.page(base.resolve("/"), "g-" + i)));
        Thread.sleep(500);
        service.process.destroy(); // SIGTERM
        assertThat(service.process.waitFor(15, TimeUnit.SECONDS))
                .as("exited after SIGTERM")
                .isTrue();
        List<Load.Answer> result = load.get();

        System.out.println("graceful shutdown under load: " + Load.statuses(result));
        assertThat(service.process.exitValue()).as("exit code after SIGTERM").isEqualTo(143);
        assertThat(Load.ok(result)).as("requests served before the shutdown").isPositive();
        assertThat(Load.statuses(result).keySet())
                .as("only 200, 503 (shutting down) or refused")
                .isSubsetOf(200, 503, 0);
        assertThat(TestApp.dbTotal(pg)).as("counted = answered 200").isEqualTo(Load.ok(result));
        assertThat(service.output()).doesNotContain("ERROR");
    }

    private static boolean ready(URI base) {
        return Load.get(base.resolve("/health/ready"), Duration.ofSeconds(2)).status() == 200;
    }
}
