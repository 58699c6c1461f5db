package dev.hitslb.lb;

/** One hits-service replica as nginx sees it: a name, an address and a weight (used by {@code weighted} only). */
public record Replica(String name, String host, int port, int weight) {
    public Replica {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + ": port " + port + " is not in 1..65535");
        }
        if (weight < 1) {
            throw new IllegalArgumentException(name + ": weight must be at least 1, got " + weight);
        }
    }

    public String address() {
        return host + ":" + port;
    }
}
