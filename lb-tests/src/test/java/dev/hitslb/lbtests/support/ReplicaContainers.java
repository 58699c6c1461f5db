package dev.hitslb.lbtests.support;

import dev.hitslb.servers.LocalProcess;
import dev.hitslb.servers.Wait;
import dev.hitslb.testing.Load;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The hits replicas as compose or Kubernetes runs them: each in its own namespace of {@link NetnsRig},
 * the real jar on port 8080 of its own address, published in {@link Dnsmasq} as its {@link Naming} says.
 * {@link #kill} is {@code docker compose kill} or a crashed pod (SIGKILL; the address leaves the network
 * and DNS), {@link #stop} is what nginx sees of {@code docker compose stop} (the address and the name
 * gone; the JVM is frozen rather than ended, so {@link #start} brings it back at once), {@link #start} is
 * {@code docker compose start} or a new pod, {@link #recreate} comes back at a new address, and
 * {@link #leave} then {@link #terminate} is a pod scaled away (out of its Service's answer, then SIGTERM).
 */
public final class ReplicaContainers implements AutoCloseable {
    private final NetnsRig rig;
    private final Dnsmasq dns;
    private final Path jar;
    private final Path dir;
    private final Map<String, String> env;
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final Map<String, LocalProcess> processes = new ConcurrentHashMap<>();
    private final Set<String> stopped = ConcurrentHashMap.newKeySet();
    private final Naming naming;

    /**
     * Under which DNS name a replica's address is published, and when. Compose names each container
     * after its service while it runs, ready or not ({@link #COMPOSE}); Kubernetes answers a headless
     * Service's name with the address of every ready pod ({@link #service}).
     */
    public record Naming(Function<String, String> dnsName, boolean onceReady) {
        public static final Naming COMPOSE = new Naming(name -> name, false);

        /** Each replica in the Service {@code serviceOf} names for it, once ready. */
        public static Naming service(Function<String, String> serviceOf) {
            return new Naming(serviceOf, true);
        }
    }

    /** {@code env}: what every replica gets besides its port, bind address and instance id (database, Redis). */
    public ReplicaContainers(NetnsRig rig, Dnsmasq dns, Naming naming, Path jar, Path dir, Map<String, String> env) {
        this.rig = rig;
        this.dns = dns;
        this.naming = naming;
        this.jar = jar;
        this.dir = dir;
        this.env = env;
    }

    /** Creates container {@code name} at {@code address} (a namespace) without starting it. */
    public void create(String name, String address) {
        rig.add(name, address);
        rig.unplug(name);
        addresses.put(name, address);
    }

    public String address(String name) {
        return addresses.get(name);
    }

    /**
     * Starts the container: its address back on the network, the jar, and its name in DNS (compose: at
     * once; Kubernetes: once ready, as a pod joins its Service's endpoints); waits until it is ready.
     */
    public void start(String name) {
        rig.readdress(name, addresses.get(name));
        if (!naming.onceReady()) {
            dns.add(dnsName(name), addresses.get(name));
        }
        LocalProcess process = processes.get(name);
        if (stopped.remove(name)) {
            process.signal("CONT");
        } else {
            List<String> java = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx160m",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-XX:ActiveProcessorCount=1",
                    "-XX:+UseG1GC",
                    "-jar",
                    jar.toString());
            Map<String, String> all = new java.util.HashMap<>(env);
            all.putAll(Map.of("HTTP_PORT", "8080", "BIND_ADDRESS", "0.0.0.0", "INSTANCE_ID", name));
            process = LocalProcess.start(
                    name, rig.inside(name, java), all, dir.resolve(name).resolve(name + ".log"), true);
            processes.put(name, process);
        }
        awaitReady(name, process);
        if (naming.onceReady()) {
            dns.add(dnsName(name), addresses.get(name));
        }
    }

    private String dnsName(String name) {
        return naming.dnsName().apply(name);
    }

    private void awaitReady(String name, LocalProcess process) {
        URI ready = URI.create("http://" + addresses.get(name) + ":8080/health/ready");
        Wait.until(name + " ready at " + ready + " (log: " + process.log() + ")", Duration.ofSeconds(60), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited at start:\n" + process.logTail(30));
            }
            return Load.get(ready, Duration.ofSeconds(2)).status() == 200;
        });
    }

    /** Stopped, as nginx sees docker compose stop: the name leaves DNS and the address the network (the JVM is frozen). */
    public void stop(String name) {
        processes.get(name).signal("STOP");
        stopped.add(name);
        leave(name);
        rig.unplug(name);
    }

    /** docker compose kill: SIGKILL, then the name leaves DNS and the address leaves the network. */
    public void kill(String name) {
        LocalProcess process = processes.remove(name);
        stopped.remove(name);
        if (process != null) {
            process.stop("KILL", Duration.ofSeconds(5));
        }
        leave(name);
        rig.unplug(name);
    }

    /** Starts {@code names} side by side, as compose or a Deployment does, and returns once every one is ready. */
    public void startAll(List<String> names) {
        CompletableFuture.allOf(names.stream()
                        .map(n -> CompletableFuture.runAsync(() -> start(n)))
                        .toArray(CompletableFuture[]::new))
                .join();
    }

    /** Its address leaves its DNS name (a terminating pod leaves its Service's endpoints); it keeps running. */
    public void leave(String name) {
        dns.remove(dnsName(name), addresses.get(name));
    }

    /**
     * A pod ended after its preStop pause: SIGTERM, and the replica finishes what it has in flight
     * (SHUTDOWN_TIMEOUT_MS) and exits; then its address leaves the network.
     */
    public void terminate(String name) {
        LocalProcess process = processes.remove(name);
        leave(name);
        process.stop(Duration.ofSeconds(15));
        rig.unplug(name);
    }

    /** Killed and started again at {@code newAddress}, as when compose recreates a container. */
    public void recreate(String name, String newAddress) {
        kill(name);
        addresses.put(name, newAddress);
        start(name);
    }

    public boolean running(String name) {
        LocalProcess p = processes.get(name);
        return p != null && p.isAlive() && !stopped.contains(name);
    }

    /** Stops every replica (SIGTERM). */
    @Override
    public void close() {
        processes.values().forEach(p -> p.stop(Duration.ofSeconds(5)));
        processes.clear();
        stopped.clear();
    }
}
