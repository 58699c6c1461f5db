package dev.hitslb.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server run from the local binaries on 127.0.0.1 (TCP only), with one database whose
 * owner, and that owner's password, carry the database's name: a local-development default, on loopback
 * only. That owner is an ordinary role (no superuser, no CREATEDB, no CREATEROLE), what a service logs in
 * as; the superuser {@value #ADMIN} (password {@value #ADMIN}) is for administration only.
 * Durable defaults stay on (fsync, synchronous_commit).
 */
public final class PostgresServer extends LocalServer {
    /** Unprivileged account PostgreSQL runs as when we are root (Debian's postgresql package creates it). */
    private static final String OS_USER = "postgres";
    /** The superuser, for administration: creating the database and its owner, never a service's login. */
    public static final String ADMIN = "postgres";

    private final Path home;
    private final int port;
    private final String database;
    private final boolean throwaway;
    private final Optional<AlsoListen> alsoListen;

    private PostgresServer(Path home, int port, String database, boolean throwaway, Optional<AlsoListen> alsoListen) {
        if (!database.matches("[a-z_][a-z0-9_]*") || database.equals(ADMIN)) {
            throw new IllegalArgumentException(
                    "database name '" + database + "': lower-case letters, digits and _ only, not '" + ADMIN + "'");
        }
        this.home = home;
        this.port = port;
        this.database = database;
        this.throwaway = throwaway;
        this.alsoListen = alsoListen;
    }

    /**
     * Initialises {@code home/data} when it is new, starts the server on {@code port} and waits until
     * it accepts connections to {@code database}.
     */
    public static PostgresServer start(Path home, int port, String database, boolean throwaway) {
        return start(home, port, database, throwaway, Optional.empty());
    }

    /** As {@link #start(Path, int, String, boolean)}, also listening on {@code also}'s address for its clients. */
    public static PostgresServer start(
            Path home, int port, String database, boolean throwaway, Optional<AlsoListen> also) {
        PostgresServer server = new PostgresServer(home.toAbsolutePath(), port, database, throwaway, also);
        server.initIfNew();
        server.allowClients();
        server.start();
        server.createOwnerAndDatabase();
        return server;
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** The database's owner: what a service logs in as. */
    public PostgresEndpoint endpoint() {
        return new PostgresEndpoint(jdbcUrl(), database, database);
    }

    /** The superuser, for what the owner may not do (tests that inspect or limit the owner). */
    public PostgresEndpoint adminEndpoint() {
        return new PostgresEndpoint(jdbcUrl(), ADMIN, ADMIN);
    }

    public Path log() {
        return home.resolve("postgres.log");
    }

    private Path data() {
        return home.resolve("data");
    }

    private void initIfNew() {
        if (Files.exists(data().resolve("PG_VERSION"))) {
            return;
        }
        try {
            Files.createDirectories(data());
            Path pwfile = home.resolve("pwfile");
            Files.writeString(pwfile, ADMIN + "\n");
            handToServerUser(home);
            Commands.run(
                    Commands.asUserIfRoot(
                            OS_USER,
                            List.of(
                                    Binaries.require("initdb").toString(),
                                    "--pgdata=" + data(),
                                    "--username=" + ADMIN,
                                    "--pwfile=" + pwfile,
                                    "--auth=scram-sha-256",
                                    "--encoding=UTF8",
                                    "--locale=C.UTF-8")),
                    Map.of());
            Files.delete(pwfile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not initialise PostgreSQL in " + data(), e);
        }
    }

    /** Lets {@link AlsoListen#clients()} log in with the password, as initdb lets 127.0.0.1 (pg_hba.conf). */
    private void allowClients() {
        if (alsoListen.isEmpty()) {
            return;
        }
        String line = "host all all " + alsoListen.get().clients() + " scram-sha-256\n";
        try {
            Path hba = data().resolve("pg_hba.conf");
            if (!Files.readString(hba).contains(line)) {
                Files.writeString(hba, line, java.nio.file.StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not allow " + alsoListen.get().clients() + " in pg_hba.conf", e);
        }
    }

    /** Starts the server (again) on the same data and port, and waits until it is ready. */
    @Override
    public void start() {
        if (isRunning()) {
            return;
        }
        removeLockOfDeadServer();
        List<String> command = new ArrayList<>(List.of(
                Binaries.require("postgres").toString(),
                "-D",
                data().toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1"
                        + alsoListen.map(a -> "," + a.address()).orElse(""),
                "-c",
                "unix_socket_directories="));
        process = LocalProcess.start("postgres", Commands.asUserIfRoot(OS_USER, command), Map.of(), log(), throwaway);
        Wait.until("PostgreSQL on port " + port + " (log: " + log() + ")", Duration.ofSeconds(30), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("PostgreSQL exited at start:\n" + process.logTail(20));
            }
            return isReady();
        });
    }

    /**
     * After a SIGKILL, postmaster.pid stays behind. PostgreSQL removes it itself when its pid is gone,
     * but a killed server whose parent has exited (an earlier ./stack) stays a zombie until init reaps
     * it, and to PostgreSQL that pid still runs: it refuses to start. A zombie serves nothing and holds
     * no memory (what its children still hold, PostgreSQL checks itself), so its lock file goes.
     */
    private void removeLockOfDeadServer() {
        Path lock = data().resolve("postmaster.pid");
        try {
            long pid = Long.parseLong(Files.readAllLines(lock).getFirst().strip());
            if (ProcessHandle.of(pid).map(PidFile::hasExited).orElse(true)) {
                Files.deleteIfExists(lock);
            }
        } catch (IOException | RuntimeException noLockOrUnreadable) {
            // No lock file (a clean stop), or one PostgreSQL will judge itself.
        }
    }

    private boolean isReady() {
        try {
            Commands.run(
                    List.of(
                            Binaries.require("pg_isready").toString(),
                            "-q",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(port),
                            "-d",
                            "postgres",
                            "-U",
                            database),
                    Map.of());
            return true;
        } catch (IllegalStateException notYet) {
            return false;
        }
    }

    /**
     * Makes the database's owner an ordinary login role and creates the database it owns (its public
     * schema with it, PostgreSQL >= 15), both if missing. A data folder made before there was an
     * {@value #ADMIN} superuser has the owner as its only, superuser, role: it gets {@value #ADMIN}
     * first, then the owner loses its superuser rights.
     */
    private void createOwnerAndDatabase() {
        if (!canLogIn(ADMIN)) {
            psql(database, "CREATE ROLE " + ADMIN + " LOGIN SUPERUSER PASSWORD '" + ADMIN + "'");
        }
        if (psql(ADMIN, "SELECT 1 FROM pg_roles WHERE rolname = '" + database + "'")
                .isBlank()) {
            psql(ADMIN, "CREATE ROLE " + database);
        }
        psql(
                ADMIN,
                "ALTER ROLE " + database + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                        + " PASSWORD '" + database + "'");
        if (psql(ADMIN, "SELECT 1 FROM pg_database WHERE datname = '" + database + "'")
                .isBlank()) {
            psql(ADMIN, "CREATE DATABASE " + database + " OWNER " + database);
        }
    }

    private boolean canLogIn(String role) {
        try {
            psql(role, "SELECT 1");
            return true;
        } catch (IllegalStateException refused) {
            return false;
        }
    }

    /** Runs {@code sql} as {@code role} (whose password is its name) and returns what it printed. */
    private String psql(String role, String sql) {
        return psql(port, role, "postgres", sql, Duration.ofSeconds(60));
    }

    /**
     * Runs one SQL statement through psql in {@code database} of the local server on {@code port}, as
     * {@code role}, whose password is its name (the local-development convention of these servers), and
     * returns its rows, unaligned, trimmed; fails with psql's message, or after {@code timeout}.
     */
    public static String psql(int port, String role, String database, String sql, Duration timeout) {
        return Commands.run(
                        List.of(
                                Binaries.require("psql").toString(),
                                "-X",
                                "-q",
                                "-t",
                                "-A",
                                "-h",
                                "127.0.0.1",
                                "-p",
                                Integer.toString(port),
                                "-U",
                                role,
                                "-d",
                                database,
                                "-v",
                                "ON_ERROR_STOP=1",
                                "-c",
                                sql),
                        Map.of("PGPASSWORD", role),
                        timeout)
                .strip();
    }

    /** Fast shutdown (SIGINT): aborts open transactions and waits for the server to exit. */
    @Override
    public void stop() {
        if (process != null) {
            process.stop("INT", Duration.ofSeconds(20));
        }
    }

    /** A crash of the postmaster alone, as when the OOM killer picks it; its backends then exit by themselves. */
    @Override
    public void kill() {
        if (process != null) {
            process.signal("KILL");
            process.awaitExit(Duration.ofSeconds(10));
            // Backends notice their postmaster died and exit on their own; wait for the port to close.
            Ports.awaitClosed(port, Duration.ofSeconds(10));
        }
    }

    /** Gives the folder to the PostgreSQL account when we are root, and lets it reach the folder. */
    private static void handToServerUser(Path home) throws IOException {
        if (!Commands.isRoot()) {
            return;
        }
        UserPrincipalLookupService users = home.getFileSystem().getUserPrincipalLookupService();
        var owner = users.lookupPrincipalByName(OS_USER);
        var group = users.lookupPrincipalByGroupName(OS_USER);
        try (Stream<Path> paths = Files.walk(home)) {
            for (Path p : paths.toList()) {
                Files.setOwner(p, owner);
                Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class)
                        .setGroup(group);
            }
        }
        Files.setPosixFilePermissions(home.resolve("data"), PosixFilePermissions.fromString("rwx------"));
        Commands.letOthersReach(home);
    }
}
