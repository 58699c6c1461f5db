package dev.hitslb.lbtests.support;

import dev.hitslb.servers.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A compose network without Docker: one bridge on this host and one network namespace per container,
 * each with its own address on the bridge (a veth pair), as Docker gives each container. Names carry a
 * random tag and the subnet is one no route here uses, so runs side by side do not meet. Everything is
 * removed by {@link #close()}, and by a shutdown hook when the JVM ends first. Needs root.
 */
public final class NetnsRig implements AutoCloseable {
    private final String tag =
            "hlb" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    private final int subnet;
    private final String bridge = tag + "br";
    private final Set<String> namespaces = new LinkedHashSet<>();
    private final Set<String> links = new LinkedHashSet<>();
    private final Thread cleanup = new Thread(this::removeAll, tag + "-cleanup");

    private NetnsRig(int subnet) {
        this.subnet = subnet;
    }

    /** A bridge with address {@link #hostAddress()} on a free 10.N.0.0/16. */
    public static NetnsRig create() {
        String used = ip("-4", "addr") + ip("-4", "route");
        int n = ThreadLocalRandom.current().nextInt(100, 250);
        while (used.contains(" 10." + n + ".")) {
            n = n == 249 ? 100 : n + 1;
        }
        NetnsRig rig = new NetnsRig(n);
        Runtime.getRuntime().addShutdownHook(rig.cleanup);
        ip("link", "add", rig.bridge, "type", "bridge");
        ip("addr", "add", rig.hostAddress() + "/16", "dev", rig.bridge);
        ip("link", "set", rig.bridge, "up");
        rig.acceptForwarding(true);
        return rig;
    }

    /**
     * Lets frames between the bridge's own ports through the host's firewall. Where Docker runs (or
     * ran: it leaves them so), the FORWARD policy is DROP and bridged frames go through iptables
     * (bridge-nf-call-iptables), and every namespace would be cut off from the others.
     */
    private void acceptForwarding(boolean on) {
        String iptables = Files.isExecutable(Path.of("/usr/sbin/iptables")) ? "/usr/sbin/iptables" : "iptables";
        List<String> rule = List.of(iptables, on ? "-I" : "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT");
        // No iptables at all: no firewall in the way either.
        quietly(rule);
    }

    /** This host's address on the bridge: the containers reach PostgreSQL and Redis here. */
    public String hostAddress() {
        return address(1);
    }

    /** The containers' network, for pg_hba.conf. */
    public String network() {
        return "10." + subnet + ".0.0/16";
    }

    /** The {@code host}-th address of the containers' /24 (10.N.0.host). */
    public String address(int host) {
        return "10." + subnet + ".0." + host;
    }

    /**
     * An address of this host in another /24 of the bridge's network (10.N.{@code net}.1), to send from
     * as a client of another network (ip_hash keys on the first three octets).
     */
    public String clientAddress(int net) {
        String address = "10." + subnet + "." + net + ".1";
        if (!ip("-4", "addr", "show", "dev", bridge).contains(address + "/")) {
            ip("addr", "add", address + "/32", "dev", bridge);
        }
        return address;
    }

    /** A namespace for container {@code name}, its loopback up and its eth0 on the bridge at {@code address}. */
    public String add(String name, String address) {
        String ns = namespace(name);
        String hostEnd = tag + "v" + namespaces.size();
        ip("netns", "add", ns);
        namespaces.add(ns);
        ip("link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
        links.add(hostEnd);
        ip("link", "set", hostEnd, "master", bridge, "up");
        ip("-n", ns, "link", "set", "lo", "up");
        readdress(name, address);
        return ns;
    }

    /** Gives container {@code name} a new address (its old one is gone) and brings its link up. */
    public void readdress(String name, String address) {
        String ns = namespace(name);
        ip("-n", ns, "addr", "flush", "dev", "eth0");
        ip("-n", ns, "addr", "add", address + "/16", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "route", "replace", "default", "via", hostAddress());
    }

    /** Takes container {@code name}'s link down: its address is gone from the network, as when compose stops it. */
    public void unplug(String name) {
        ip("-n", namespace(name), "link", "set", "eth0", "down");
    }

    /** {@code command} run inside container {@code name}'s namespace (ip netns exec execs in place: same pid). */
    public List<String> inside(String name, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", namespace(name)));
        wrapped.addAll(command);
        return wrapped;
    }

    private String namespace(String name) {
        return tag + "-" + name;
    }

    /** Ends what still runs in our namespaces (only processes we started: they live nowhere else), deletes them, their links and the bridge. */
    private synchronized void removeAll() {
        for (String ns : namespaces) {
            for (String pid : quietly(List.of("ip", "netns", "pids", ns)).split("\\s+")) {
                if (!pid.isBlank()) {
                    quietly(List.of("kill", "-KILL", pid));
                }
            }
            quietly(List.of("ip", "netns", "del", ns));
        }
        namespaces.clear();
        // A namespace outlives its name while anything still refers to it, and its veth with it.
        links.forEach(link -> quietly(List.of("ip", "link", "del", link)));
        links.clear();
        quietly(List.of("ip", "link", "del", bridge));
        acceptForwarding(false);
    }

    @Override
    public void close() {
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private static String ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        return Commands.run(command, Map.of(), Duration.ofSeconds(10));
    }

    private static String quietly(List<String> command) {
        try {
            return Commands.run(command, Map.of(), Duration.ofSeconds(10));
        } catch (IllegalStateException e) {
            return "";
        }
    }
}
