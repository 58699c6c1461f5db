package dev.hitslb.lbtests.support;

import static org.assertj.core.api.Assertions.fail;

import dev.hitslb.servers.AlsoListen;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresServer;
import dev.hitslb.servers.RedisServer;
import dev.hitslb.stack.ServiceSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * What a rehearsal (compose or Kubernetes without either) runs on this host: the bridge of a
 * {@link NetnsRig}, PostgreSQL and Redis listening on it as the containers' database and cache, the
 * service's jar and the repository's committed configs. Needs root (namespaces, a bridge); without it
 * {@link #start} fails, saying how to run the suite.
 */
public final class RehearsalHost implements AutoCloseable {
    public final Path dir;
    public final Path repo;
    public final Path jar;
    public final ServiceSpec spec;
    public final NetnsRig rig;
    private final PostgresServer postgres;
    private final RedisServer redis;

    private RehearsalHost(
            Path dir, Path repo, Path jar, ServiceSpec spec, NetnsRig rig, PostgresServer postgres, RedisServer redis) {
        this.dir = dir;
        this.repo = repo;
        this.jar = jar;
        this.spec = spec;
        this.rig = rig;
        this.postgres = postgres;
        this.redis = redis;
    }

    /** The bridge, PostgreSQL and Redis for {@code suite}, which the failure message names when this is not root. */
    public static RehearsalHost start(String suite) throws IOException {
        if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            fail(suite + " needs root: it builds network namespaces, a bridge and a DNS server on 127.0.0.11. "
                    + "Run it as root (CI does): sudo ./mvnw -B verify -pl lb-tests -am -Dtest=none -DfailIfNoTests=false "
                    + "-Dit.test=" + suite);
        }
        System.out.println(suite + " on " + RehearsalNginx.requireModern() + " (" + Binaries.require("nginx") + ")");
        Path jar = Path.of(System.getProperty("hits.jar"));
        Path repo = Path.of(System.getProperty("hits.root")).toRealPath();
        ServiceSpec spec = ServiceSpec.of(jar);
        // Not under ThrowawayDirs (java.io.tmpdir): runs in other PID namespaces that share /tmp (parallel
        // CI jobs) take a folder whose JVM they cannot see for a dead run's and delete it.
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "hits-lb-rehearsal-");
        NetnsRig rig = NetnsRig.create();
        AlsoListen bridge = new AlsoListen(rig.hostAddress(), rig.network());
        PostgresServer postgres =
                PostgresServer.start(dir.resolve("postgres"), Ports.free(), spec.database(), true, Optional.of(bridge));
        RedisServer redis = RedisServer.start(dir.resolve("redis"), Ports.free(), true, Optional.of(bridge));
        return new RehearsalHost(dir, repo, jar, spec, rig, postgres, redis);
    }

    /** The replicas' containers, named in {@code dns} as {@code naming} says, with this host's database and cache. */
    public ReplicaContainers replicas(Dnsmasq dns, ReplicaContainers.Naming naming) {
        return new ReplicaContainers(
                rig,
                dns,
                naming,
                jar,
                dir,
                Map.of(
                        "DB_URL",
                        "jdbc:postgresql://" + rig.hostAddress() + ":" + postgres.port() + "/" + spec.database(),
                        "DB_USER",
                        spec.database(),
                        "DB_PASSWORD",
                        spec.database(),
                        "REDIS_URL",
                        "redis://" + rig.hostAddress() + ":" + redis.port()));
    }

    /** The total in PostgreSQL, read with the service's own query. */
    public long total() {
        String database = spec.database();
        return Long.parseLong(
                PostgresServer.psql(postgres.port(), database, database, spec.totalQuery(), Duration.ofSeconds(10)));
    }

    /** Stops Redis and PostgreSQL, removes the bridge and namespaces, deletes the folder. */
    @Override
    public void close() {
        try {
            redis.close();
            postgres.close();
        } finally {
            rig.close();
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.out.println("could not delete " + dir + ": " + e);
            }
        }
    }
}
