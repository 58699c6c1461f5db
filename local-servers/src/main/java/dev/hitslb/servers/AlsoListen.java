package dev.hitslb.servers;

/**
 * A second address a server listens on besides 127.0.0.1, for clients on another network (replicas in
 * network namespaces behind a bridge, as in the compose rehearsal).
 *
 * @param address an address of this host, e.g. the bridge's {@code 10.77.0.1}
 * @param clients the network those clients come from, in CIDR form, e.g. {@code 10.77.0.0/24}
 */
public record AlsoListen(String address, String clients) {}
