package dev.hitslb.stack;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.Replica;
import dev.hitslb.lb.Topology;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What one stack is made of and where it lives: the service (its jar and its spec), the algorithm,
 * the replicas and every port, and the state folder. ./stack saves it at {@code up} so later commands
 * (status, start NAME, ...) act on the same stack.
 */
public record StackLayout(
        Path home,
        ServiceSpec service,
        Algorithm algorithm,
        int nginxPort,
        List<Integer> replicaPorts,
        int backupPort,
        int postgresPort,
        int redisPort,
        Path jar) {
    /** PostgreSQL and Redis sit at PORT+20 and PORT+21, off their usual ports so a system install is left alone. */
    static final int POSTGRES_PORT_OFFSET = 20;

    static final int REDIS_PORT_OFFSET = 21;
    private static final String FILE = "stack.properties";
    private static final String SERVICE_PREFIX = "service.";

    public StackLayout {
        home = home.toAbsolutePath();
        replicaPorts = List.copyOf(replicaPorts);
        jar = jar.toAbsolutePath();
    }

    /** {@link #standard(Path, ServiceSpec, Algorithm, int, int, Path) standard}, for the service the jar describes. */
    public static StackLayout standard(Path home, Algorithm algorithm, int replicas, int port, Path jar) {
        return standard(home, ServiceSpec.of(jar), algorithm, replicas, port, jar);
    }

    /**
     * ./stack's layout: nginx on {@code port}, {@code NAME-i} on {@code port + i}, NAME-backup on
     * {@code port + 10}, PostgreSQL on {@code port + 20}, Redis on {@code port + 21}.
     */
    public static StackLayout standard(
            Path home, ServiceSpec service, Algorithm algorithm, int replicas, int port, Path jar) {
        Topology topology = Topology.local(service.name(), port, replicas);
        return new StackLayout(
                home,
                service,
                algorithm,
                port,
                topology.replicas().stream().map(Replica::port).toList(),
                topology.backup().orElseThrow().port(),
                port + POSTGRES_PORT_OFFSET,
                port + REDIS_PORT_OFFSET,
                jar);
    }

    /** The replicas as nginx sees them; the backup only where the algorithm allows one. */
    public Topology topology() {
        return topology(algorithm);
    }

    /** The replicas as nginx sees them under {@code other}. */
    public Topology topology(Algorithm other) {
        return Topology.local(service.name(), replicaPorts, Optional.of(backupPort))
                .forAlgorithm(other);
    }

    /** How wide a column of process names is: the longest name, e.g. orders-backup, and at least 12. */
    public int nameWidth() {
        return names().stream().mapToInt(String::length).reduce(12, Math::max);
    }

    /** The stack's name in messages: the service's, as hits-lb for hits, orders-lb for orders. */
    public String title() {
        return service.name() + "-lb";
    }

    /** Every process of the stack, in start order: postgres, redis, NAME-1..N, NAME-backup (if any), nginx. */
    public List<String> names() {
        List<String> names = new ArrayList<>(List.of("postgres", "redis"));
        Topology topology = topology();
        topology.replicas().forEach(r -> names.add(r.name()));
        topology.backup().ifPresent(b -> names.add(b.name()));
        names.add("nginx");
        return names;
    }

    /** The port of the process called {@code name}. */
    public int port(String name) {
        return switch (name) {
            case "postgres" -> postgresPort;
            case "redis" -> redisPort;
            case "nginx" -> nginxPort;
            default ->
                topology().replicas().stream()
                        .filter(r -> r.name().equals(name))
                        .findFirst()
                        .or(() -> topology().backup().filter(b -> b.name().equals(name)))
                        .map(Replica::port)
                        .orElseThrow(() -> new IllegalArgumentException("no process called '" + name
                                + "' in this stack: expected one of " + String.join(", ", names())));
        };
    }

    /** The folder of one process: its data, log and pid file. */
    public Path dir(String name) {
        return home.resolve(name);
    }

    /** The replicas' names, backup included: every process that runs the service jar. */
    public List<String> replicaNames() {
        return names().stream()
                .filter(n -> !List.of("postgres", "redis", "nginx").contains(n))
                .toList();
    }

    public String jdbcUrl() {
        return service.jdbcUrl(postgresPort);
    }

    public String redisUrl() {
        return "redis://127.0.0.1:" + redisPort;
    }

    public String url() {
        return "http://127.0.0.1:" + nginxPort + "/";
    }

    void save() {
        Properties p = new Properties();
        p.setProperty("algorithm", algorithm.id());
        p.setProperty("nginx.port", Integer.toString(nginxPort));
        p.setProperty(
                "replica.ports",
                String.join(",", replicaPorts.stream().map(String::valueOf).toList()));
        p.setProperty("backup.port", Integer.toString(backupPort));
        p.setProperty("postgres.port", Integer.toString(postgresPort));
        p.setProperty("redis.port", Integer.toString(redisPort));
        p.setProperty("jar", jar.toString());
        service.toProperties().forEach((key, value) -> p.setProperty(SERVICE_PREFIX + key, value));
        try (Writer out = Files.newBufferedWriter(home.resolve(FILE))) {
            p.store(out, "the stack ./stack up started last; read by the other ./stack commands");
        } catch (IOException e) {
            throw new UncheckedIOException("could not save " + home.resolve(FILE), e);
        }
    }

    /** The stack saved by the last {@code up} in {@code home}, if any. */
    static Optional<StackLayout> load(Path home) {
        Path file = home.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
            List<Integer> replicaPorts = new ArrayList<>();
            for (String port : p.getProperty("replica.ports").split(",")) {
                replicaPorts.add(Integer.parseInt(port));
            }
            Path jar = Path.of(p.getProperty("jar"));
            Properties service = new Properties();
            p.stringPropertyNames().stream()
                    .filter(key -> key.startsWith(SERVICE_PREFIX))
                    .forEach(key -> service.setProperty(key.substring(SERVICE_PREFIX.length()), p.getProperty(key)));
            // A stack saved before the spec was saved with it: the jar still describes its service.
            ServiceSpec spec =
                    service.isEmpty() ? ServiceSpec.of(jar) : ServiceSpec.fromProperties(service, file.toString());
            return Optional.of(new StackLayout(
                    home,
                    spec,
                    Algorithm.fromId(p.getProperty("algorithm")),
                    Integer.parseInt(p.getProperty("nginx.port")),
                    replicaPorts,
                    Integer.parseInt(p.getProperty("backup.port")),
                    Integer.parseInt(p.getProperty("postgres.port")),
                    Integer.parseInt(p.getProperty("redis.port")),
                    jar));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    file + " is unreadable (" + e.getMessage() + "): run ./stack down, then ./stack up", e);
        }
    }
}
