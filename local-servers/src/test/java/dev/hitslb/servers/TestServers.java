package dev.hitslb.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The one place the test suites get PostgreSQL and Redis from, so a test never knows which it got.
 * In order: servers named by environment variables, throwaway local processes (the binaries on the
 * PATH or in Debian's folders), then Testcontainers when a Docker engine answers. With none of these a
 * test fails, naming what to install: it is never skipped.
 *
 * <p>Environment: {@code TEST_JDBC_URL} (+ {@code TEST_DB_USER}, {@code TEST_DB_PASSWORD})
 * and {@code TEST_REDIS_URL} ({@code redis://host:port}); {@code TEST_SERVERS=containers} takes
 * Testcontainers even where local binaries exist ({@code local}: local binaries only; unset: either).
 * The containers run the images compose.yaml runs, read from it: one place for their versions.
 */
public final class TestServers {
    /** The tests' database, its owner and that owner's password (a throwaway server's local default). */
    static final String DATABASE = "test";

    static final DockerImageName POSTGRES_IMAGE = DockerImageName.parse(composeImage("postgres"));
    static final DockerImageName REDIS_IMAGE = DockerImageName.parse(composeImage("redis"));

    private static PostgresEndpoint sharedPostgres;
    private static RedisEndpoint sharedRedis;

    private TestServers() {}

    /** A PostgreSQL shared by every test in this JVM; tests reset the tables they use. */
    public static synchronized PostgresEndpoint postgres() {
        if (sharedPostgres == null) {
            String url = System.getenv("TEST_JDBC_URL");
            sharedPostgres = url != null
                    ? new PostgresEndpoint(
                            url,
                            System.getenv().getOrDefault("TEST_DB_USER", DATABASE),
                            System.getenv().getOrDefault("TEST_DB_PASSWORD", DATABASE))
                    : ownPostgres().endpoint();
        }
        return sharedPostgres;
    }

    /** A Redis shared by every test in this JVM. */
    public static synchronized RedisEndpoint redis() {
        if (sharedRedis == null) {
            String url = System.getenv("TEST_REDIS_URL");
            if (url != null) {
                URI uri = URI.create(url);
                sharedRedis = new RedisEndpoint(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379);
            } else {
                sharedRedis = ownRedis().endpoint();
            }
        }
        return sharedRedis;
    }

    /** A PostgreSQL of the caller's own, which it may stop, kill, pause and start again. */
    public static ControlledPostgres ownPostgres() {
        if (source() != Source.CONTAINERS && localBinariesPresent("postgres", "initdb", "pg_isready", "psql")) {
            PostgresServer server =
                    PostgresServer.start(ThrowawayDirs.create("postgres"), Ports.free(), DATABASE, true);
            return new ControlledPostgres(server.endpoint(), server.adminEndpoint(), server);
        }
        requireDocker("postgres");
        // As PostgresServer: the image's POSTGRES_USER is a superuser, for administration only; the
        // tests log in as the database's owner, an ordinary role.
        PostgreSQLContainer container = new PostgreSQLContainer(POSTGRES_IMAGE)
                .withDatabaseName(PostgresServer.ADMIN)
                .withUsername(PostgresServer.ADMIN)
                .withPassword(PostgresServer.ADMIN);
        container.start();
        for (String sql : List.of(
                "CREATE ROLE " + DATABASE + " LOGIN PASSWORD '" + DATABASE + "'",
                "CREATE DATABASE " + DATABASE + " OWNER " + DATABASE)) {
            try {
                var result = container.execInContainer(
                        "psql", "-U", PostgresServer.ADMIN, "-v", "ON_ERROR_STOP=1", "-c", sql);
                if (result.getExitCode() != 0) {
                    throw new IllegalStateException(sql + ": " + result.getStderr());
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        String url = "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/" + DATABASE;
        return new ControlledPostgres(
                new PostgresEndpoint(url, DATABASE, DATABASE),
                new PostgresEndpoint(url, PostgresServer.ADMIN, PostgresServer.ADMIN),
                new ContainerControl(container));
    }

    /** A Redis of the caller's own, which it may stop, kill, pause and start again. */
    public static ControlledRedis ownRedis() {
        if (source() != Source.CONTAINERS && localBinariesPresent("redis-server")) {
            RedisServer server = RedisServer.start(ThrowawayDirs.create("redis"), Ports.free(), true);
            return new ControlledRedis(server.endpoint(), server);
        }
        requireDocker("redis-server");
        GenericContainer<?> container = new GenericContainer<>(REDIS_IMAGE).withExposedPorts(6379);
        container.start();
        return new ControlledRedis(
                new RedisEndpoint(container.getHost(), container.getMappedPort(6379)), new ContainerControl(container));
    }

    /**
     * A PostgreSQL: its database's owner (what a service logs in as), its superuser (for what the owner
     * may not do, such as limiting the owner's connections) and the handle that stops and starts it.
     */
    public record ControlledPostgres(PostgresEndpoint endpoint, PostgresEndpoint admin, ServerControl control) {}

    /** A Redis and the handle that stops and starts it. */
    public record ControlledRedis(RedisEndpoint endpoint, ServerControl control) {}

    /** Where throwaway servers come from: TEST_SERVERS. */
    private enum Source {
        ANY,
        LOCAL,
        CONTAINERS
    }

    private static Source source() {
        String value = System.getenv().getOrDefault("TEST_SERVERS", "");
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "" -> Source.ANY;
            case "local" -> Source.LOCAL;
            case "containers" -> Source.CONTAINERS;
            default ->
                throw new IllegalStateException(
                        "TEST_SERVERS must be 'local' or 'containers' (or unset: local binaries, else containers), got '"
                                + value + "'");
        };
    }

    private static boolean localBinariesPresent(String... names) {
        try {
            for (String name : names) {
                Binaries.require(name);
            }
            return true;
        } catch (Binaries.MissingBinaryException e) {
            if (source() == Source.LOCAL) {
                throw e;
            }
            return false;
        }
    }

    /**
     * The image compose.yaml gives SERVICE (its {@code image:} line), found from the working folder
     * upwards: the one place the project pins it.
     */
    static String composeImage(String service) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("compose.yaml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "compose.yaml not found from " + Path.of("").toAbsolutePath() + " upwards");
        }
        try {
            List<String> lines = Files.readAllLines(dir.resolve("compose.yaml"));
            int at = lines.indexOf("  " + service + ":");
            for (int i = at + 1; at >= 0 && i < lines.size() && !lines.get(i).matches("  \\S.*"); i++) {
                String line = lines.get(i).strip();
                if (line.startsWith("image:")) {
                    return line.substring("image:".length()).strip();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException(dir.resolve("compose.yaml") + " has no 'image:' for the service " + service);
    }

    private static void requireDocker(String binary) {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            throw new IllegalStateException("These tests need a real " + binary + " and found neither a local '"
                    + binary + "' nor a Docker engine. Install it with: " + Binaries.installHint(binary)
                    + " (or start Docker, or name running servers with TEST_JDBC_URL / TEST_REDIS_URL).");
        }
    }

    /**
     * The Testcontainers fallback: a paused container is a hung server; stop and start are pause and
     * unpause because a restarted container would come back on another mapped port.
     */
    private record ContainerControl(GenericContainer<?> container) implements ServerControl {
        @Override
        public void start() {
            resume();
        }

        @Override
        public void stop() {
            pause();
        }

        @Override
        public void kill() {
            pause();
        }

        @Override
        public void pause() {
            container
                    .getDockerClient()
                    .pauseContainerCmd(container.getContainerId())
                    .exec();
        }

        @Override
        public void resume() {
            container
                    .getDockerClient()
                    .unpauseContainerCmd(container.getContainerId())
                    .exec();
        }

        @Override
        public boolean isRunning() {
            return container.isRunning();
        }

        @Override
        public void close() {
            container.stop();
        }
    }
}
