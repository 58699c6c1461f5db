package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresEndpoint;
import dev.hitslb.servers.RedisEndpoint;
import dev.hitslb.servers.TestServers;
import dev.hitslb.servers.Wait;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
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
        assertThat(service.output()).contains("hits-service: invalid HTTP_PORT='eighty': expected a whole number from 1 to 65535");
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
        String output = stopsAtOnce(env, 2, "hits-service: PostgreSQL at DB_URL='" + pg.jdbcUrl() + "' refused DB_USER='"
                + pg.user() + "' with the DB_PASSWORD given (or DB_PASSWORD_FILE's): ");
        assertThat(output).doesNotContain("not-" + pg.password());
    }

    @Test
    void an_unreachable_database_is_awaited_for_db_startup_timeout_seconds_then_named() throws Exception {
        String nobody = "jdbc:postgresql://127.0.0.1:" + Ports.free() + "/hits";
        Map<String, String> env = Map.of("HTTP_PORT", Integer.toString(Ports.free()), "DB_URL", nobody,
                "DB_STARTUP_TIMEOUT_SECONDS", "3", "REDIS_URL", TestServers.redis().url());
        // Before: Flyway retried it for about 490 s, then a stack trace.
        String output = stopsAtOnce(env, 1, "hits-service: PostgreSQL at DB_URL='" + nobody
                + "' did not answer within 3 s (DB_STARTUP_TIMEOUT_SECONDS): Connection to 127.0.0.1:");
        assertThat(output).as("progress while waiting").contains("waiting for PostgreSQL at " + nobody);
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
        System.out.printf("exited=%s in %d ms with %s:%n%s%n", exited, ms, exited ? service.process.exitValue() : "-", output);
        assertThat(exited).as("exited within 15 s; output:%n%s", output).isTrue();
        assertThat(service.process.exitValue()).as("exit code").isEqualTo(exitCode);
        assertThat(output.lines().filter(l -> l.startsWith(line))).as("the one line naming the cause").hasSize(1);
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
        System.out.printf("hits-service process ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

        CompletableFuture<Load.Result> load = CompletableFuture.supplyAsync(
                () -> Load.run(20_000, 16, i -> Load.get(base.resolve("/"), "g-" + i)));
        Thread.sleep(500);
        service.process.destroy(); // SIGTERM
        assertThat(service.process.waitFor(15, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        Load.Result result = load.get();

        System.out.println("graceful shutdown under load: " + result.statuses());
        assertThat(service.process.exitValue()).as("exit code after SIGTERM").isEqualTo(143);
        assertThat(result.ok()).as("requests served before the shutdown").isPositive();
        assertThat(result.statuses().keySet()).as("only 200, 503 (shutting down) or refused").isSubsetOf(200, 503, 0);
        assertThat(TestApp.dbTotal(pg)).as("counted = answered 200").isEqualTo(result.ok());
        assertThat(service.output()).doesNotContain("ERROR");
    }

    private static boolean ready(URI base) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }
}
