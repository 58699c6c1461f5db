package dev.hitslb.lbtests;

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
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Docker's embedded DNS, stood in for by dnsmasq on 127.0.0.11 inside a container's namespace: it
 * answers the names in a hosts file with Docker's 600 s TTL, any other name with NXDOMAIN, as Docker's does
 * for a stopped container (no upstream). {@link #answer}
 * rewrites the file and sends SIGHUP, so a name can change address or disappear, as when compose
 * recreates or stops a container.
 */
final class Dnsmasq implements AutoCloseable {
    static final String ADDRESS = "127.0.0.11";
    private final Path hosts;
    private final LocalProcess process;
    private final Map<String, String> names = new TreeMap<>();

    private Dnsmasq(Path hosts, LocalProcess process) {
        this.hosts = hosts;
        this.process = process;
    }

    /** dnsmasq in {@code container}'s namespace of {@code rig}, answering {@code names} (name to address). */
    static Dnsmasq start(NetnsRig rig, String container, Path dir, Map<String, String> names) {
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
        write(hosts, names);
        LocalProcess process = LocalProcess.start("dnsmasq", rig.inside(container, List.of(binary.toString(),
                "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--user=root",
                "--listen-address=" + ADDRESS, "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--addn-hosts=" + hosts, "--local-ttl=600", "--address=/#/", "--log-queries", "--log-facility=-")),
                Map.of(), dir.resolve("dnsmasq.log"), true);
        Dnsmasq dns = new Dnsmasq(hosts, process);
        dns.names.putAll(names);
        Wait.until("dnsmasq on " + ADDRESS + " (log: " + process.log() + ")", Duration.ofSeconds(10), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited at start:\n" + process.logTail(20));
            }
            return process.logTail(50).contains("started");
        });
        return dns;
    }

    /** From now on {@code name} resolves to {@code address}, or not at all when {@code address} is null. */
    synchronized void answer(String name, String address) {
        if (address == null) {
            names.remove(name);
        } else {
            names.put(name, address);
        }
        write(hosts, names);
        process.signal("HUP");
    }

    private static void write(Path hosts, Map<String, String> names) {
        try {
            Path next = hosts.resolveSibling("hosts.next");
            Files.writeString(next, names.entrySet().stream().map(e -> e.getValue() + " " + e.getKey() + "\n")
                    .collect(Collectors.joining()));
            Files.move(next, hosts, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + hosts, e);
        }
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
    }
}
