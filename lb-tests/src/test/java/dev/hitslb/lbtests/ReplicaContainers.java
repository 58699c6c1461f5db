package dev.hitslb.lbtests;

import dev.hitslb.servers.LocalProcess;
import dev.hitslb.servers.Wait;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hits replicas as compose runs them: each in its own namespace of {@link NetnsRig}, the real jar on
 * port 8080 of its own address, its name in {@link Dnsmasq} while the container runs. {@link #kill} is
 * {@code docker compose kill} (SIGKILL; the address leaves the network and the name leaves DNS),
 * {@link #stop} is what nginx sees of {@code docker compose stop} (the address and the name gone; the
 * JVM is frozen rather than ended, so {@link #start} brings it back at once), {@link #start} is
 * {@code docker compose start}, and {@link #recreate} comes back at a new address.
 */
final class ReplicaContainers {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final NetnsRig rig;
    private final Dnsmasq dns;
    private final Path jar;
    private final Path dir;
    private final Map<String, String> env;
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final Map<String, LocalProcess> processes = new ConcurrentHashMap<>();
    private final Set<String> stopped = ConcurrentHashMap.newKeySet();

    /** {@code env}: what every replica gets besides its port, bind address and instance id (database, Redis). */
    ReplicaContainers(NetnsRig rig, Dnsmasq dns, Path jar, Path dir, Map<String, String> env) {
        this.rig = rig;
        this.dns = dns;
        this.jar = jar;
        this.dir = dir;
        this.env = env;
    }

    /** Creates container {@code name} at {@code address} (a namespace) without starting it. */
    void create(String name, String address) {
        rig.add(name, address);
        rig.unplug(name);
        addresses.put(name, address);
    }

    String address(String name) {
        return addresses.get(name);
    }

    /** Starts the container: its address back on the network, its name in DNS, the jar; waits until it is ready. */
    void start(String name) {
        rig.readdress(name, addresses.get(name));
        if (stopped.remove(name)) {
            processes.get(name).signal("CONT");
            dns.answer(name, addresses.get(name));
            awaitReady(name, processes.get(name));
            return;
        }
        dns.answer(name, addresses.get(name));
        List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m", "-XX:+ExitOnOutOfMemoryError", "-XX:ActiveProcessorCount=1", "-XX:+UseG1GC",
                "-jar", jar.toString());
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putAll(Map.of("HTTP_PORT", "8080", "BIND_ADDRESS", "0.0.0.0", "INSTANCE_ID", name));
        LocalProcess process = LocalProcess.start(name, rig.inside(name, java), all, dir.resolve(name).resolve(name + ".log"), true);
        processes.put(name, process);
        awaitReady(name, process);
    }

    private void awaitReady(String name, LocalProcess process) {
        URI ready = URI.create("http://" + addresses.get(name) + ":8080/health/ready");
        Wait.until(name + " ready at " + ready + " (log: " + process.log() + ")", Duration.ofSeconds(60), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited at start:\n" + process.logTail(30));
            }
            try {
                return HTTP.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (Exception notYet) {
                return false;
            }
        });
    }

    /** Stopped, as nginx sees docker compose stop: the name leaves DNS and the address the network (the JVM is frozen). */
    void stop(String name) {
        processes.get(name).signal("STOP");
        stopped.add(name);
        dns.answer(name, null);
        rig.unplug(name);
    }

    /** docker compose kill: SIGKILL, then the name leaves DNS and the address leaves the network. */
    void kill(String name) {
        LocalProcess process = processes.remove(name);
        stopped.remove(name);
        if (process != null) {
            process.stop("KILL", Duration.ofSeconds(5));
        }
        dns.answer(name, null);
        rig.unplug(name);
    }

    /** Killed and started again at {@code newAddress}, as when compose recreates a container. */
    void recreate(String name, String newAddress) {
        kill(name);
        addresses.put(name, newAddress);
        start(name);
    }

    boolean running(String name) {
        LocalProcess p = processes.get(name);
        return p != null && p.isAlive() && !stopped.contains(name);
    }

    /** Stops every replica (SIGTERM). */
    void stopAll() {
        processes.values().forEach(p -> p.stop(Duration.ofSeconds(5)));
        processes.clear();
        stopped.clear();
    }
}
