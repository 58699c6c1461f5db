package dev.hitslb.lbtests.support;

import dev.hitslb.servers.LocalProcess;
import dev.hitslb.servers.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The DNS server nginx asks, stood in for by dnsmasq on 127.0.0.11 inside a container's namespace:
 * Docker's embedded DNS (answers with a 600 s TTL) or the cluster DNS (a headless Service's name answers
 * with every ready pod). It answers the names in a hosts file, each with all of its addresses, and any
 * other name with NXDOMAIN, as Docker's does for a stopped container (no upstream). {@link #add} and
 * {@link #remove} rewrite the file and send SIGHUP, so a name can gain, change or lose addresses, as
 * when compose recreates or stops a container or a Deployment scales.
 */
public final class Dnsmasq implements AutoCloseable {
    public static final String ADDRESS = "127.0.0.11";
    private final Path hosts;
    private final LocalProcess process;
    private final Map<String, Set<String>> names = new TreeMap<>();

    private Dnsmasq(Path hosts, LocalProcess process) {
        this.hosts = hosts;
        this.process = process;
    }

    /** dnsmasq in {@code container}'s namespace of {@code rig}, answering {@code names} (name to address) with {@code ttl}. */
    public static Dnsmasq start(NetnsRig rig, String container, Path dir, Map<String, String> names, Duration ttl) {
        Path binary = Path.of("/usr/sbin/dnsmasq");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("dnsmasq is missing: apt-get install dnsmasq-base (.ci/run installs it)");
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path hosts = dir.resolve("hosts");
        Map<String, Set<String>> initial = new TreeMap<>();
        names.forEach((name, address) -> initial.put(name, new TreeSet<>(Set.of(address))));
        write(hosts, initial);
        LocalProcess process = LocalProcess.start(
                "dnsmasq",
                rig.inside(
                        container,
                        List.of(
                                binary.toString(),
                                "--keep-in-foreground",
                                "--conf-file=/dev/null",
                                "--pid-file=",
                                "--user=root",
                                "--listen-address=" + ADDRESS,
                                "--bind-interfaces",
                                "--no-resolv",
                                "--no-hosts",
                                "--addn-hosts=" + hosts,
                                "--local-ttl=" + ttl.toSeconds(),
                                "--address=/#/",
                                "--log-queries",
                                "--log-facility=-")),
                Map.of(),
                dir.resolve("dnsmasq.log"),
                true);
        Dnsmasq dns = new Dnsmasq(hosts, process);
        dns.names.putAll(initial);
        Wait.until("dnsmasq on " + ADDRESS + " (log: " + process.log() + ")", Duration.ofSeconds(10), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited at start:\n" + process.logTail(20));
            }
            return process.logTail(50).contains("started");
        });
        return dns;
    }

    /** From now on {@code name} resolves to {@code address} too. */
    public synchronized void add(String name, String address) {
        names.computeIfAbsent(name, n -> new TreeSet<>()).add(address);
        reload();
    }

    /** From now on {@code name} no longer resolves to {@code address} (and not at all once it has none left). */
    public synchronized void remove(String name, String address) {
        Set<String> addresses = names.getOrDefault(name, new TreeSet<>());
        addresses.remove(address);
        if (addresses.isEmpty()) {
            names.remove(name);
        }
        reload();
    }

    /** Rewrites the hosts file and returns once dnsmasq has read it: from then on it answers the new addresses. */
    private void reload() {
        long reads = reads();
        write(hosts, names);
        process.signal("HUP");
        Wait.until(
                "dnsmasq to read " + hosts + " again (log: " + process.log() + ")",
                Duration.ofSeconds(10),
                () -> reads() > reads);
    }

    /** How often dnsmasq logged "read <hosts> - N names" so far. */
    private long reads() {
        try (var lines = Files.lines(process.log())) {
            return lines.filter(line -> line.contains("read " + hosts + " ")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path hosts, Map<String, Set<String>> names) {
        try {
            Path next = hosts.resolveSibling("hosts.next");
            Files.writeString(
                    next,
                    names.entrySet().stream()
                            .flatMap(e -> e.getValue().stream().map(address -> address + " " + e.getKey() + "\n"))
                            .collect(Collectors.joining()));
            Files.move(
                    next,
                    hosts,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + hosts, e);
        }
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
    }
}
