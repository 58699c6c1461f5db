package dev.hitslb.lb;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The load-balancing methods of open-source nginx that this project demonstrates, under the names used
 * everywhere (CLI, files in nginx/, k6, tests, docs). Each says what it adds to the upstream block and
 * what nginx allows with it; everything else is shared (see {@link NginxConfig}).
 */
public enum Algorithm {
    ROUND_ROBIN("each replica in turn", NginxVersion.ANY),
    WEIGHTED("round robin in proportion to each replica's weight", NginxVersion.ANY),
    LEAST_CONN("the replica with the fewest requests in flight", NginxVersion.ANY),
    IP_HASH("the same client /24 network, the same replica", NginxVersion.ANY),
    HASH("consistent hashing on a client key: the same key, the same replica", NginxVersion.ANY),
    RANDOM("two replicas at random, then the one with fewer requests in flight", NginxVersion.ANY),
    STICKY("a cookie set by nginx binds each client to the replica that first served it", NginxVersion.STICKY);

    private final String summary;
    private final NginxVersion minimumNginx;

    Algorithm(String summary, NginxVersion minimumNginx) {
        this.summary = summary;
        this.minimumNginx = minimumNginx;
    }

    /** The name used in file names, on the command line and in the docs: {@code round_robin}, {@code ip_hash}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String summary() {
        return summary;
    }

    /** The oldest open-source nginx that has this method (regardless of target). */
    public NginxVersion minimumNginx() {
        return minimumNginx;
    }

    /** nginx refuses {@code backup} servers with the hashing and random methods ("balancing method does not support parameter backup"). */
    public boolean allowsBackup() {
        return switch (this) {
            case IP_HASH, HASH, RANDOM -> false;
            case ROUND_ROBIN, WEIGHTED, LEAST_CONN, STICKY -> true;
        };
    }

    /** Comment lines for the top of the rendered upstream file: when to pick it, what it guarantees, what it does not. */
    String notes() {
        return switch (this) {
            case ROUND_ROBIN -> """
                    # Pick it when: the replicas are alike and requests cost about the same.
                    # Guarantees: over N requests each replica gets N / replicas, give or take one.
                    # Does not: look at load, or keep a client on one replica.
                    """;
            case WEIGHTED -> """
                    # Pick it when: replicas differ in capacity (a bigger machine gets weight=3).
                    # Guarantees: shares in proportion to the weights, spread smoothly (3:1:1 is a,b,a,c,a ...).
                    # Does not: adapt when a heavy replica slows down; the weights are fixed.
                    """;
            case LEAST_CONN -> """
                    # Pick it when: request cost varies, or one replica may be slower than the others.
                    # Guarantees: a slow replica, holding its requests longer, is sent fewer of them.
                    # Does not: differ from round robin at low concurrency (with 0 or 1 request in
                    # flight everywhere every replica ties), nor see queues inside the replicas.
                    """;
            case IP_HASH -> """
                    # Pick it when: clients must come back to one replica and cannot keep a cookie.
                    # Guarantees: one client network, one replica, while that replica is up.
                    # Does not: spread clients that share a /24: every client behind one NAT, one proxy or one
                    # compose network (and a single load generator) lands on the same replica. Prefer hash.
                    """;
            case HASH -> """
                    # Pick it when: a client (or a key such as a user id) should stick to one replica, as for
                    # per-replica caches, without nginx setting a cookie.
                    # Guarantees: the same key, the same replica; removing one of N replicas remaps only the
                    # keys it had (about 1/N), and they come back when it returns.
                    # Does not: balance load exactly (keys are not equally busy), or have a backup server.
                    """;
            case RANDOM -> """
                    # Pick it when: many balancers share replicas and cannot share counts, or for large groups.
                    # Guarantees: about equal shares, while steering away from the busier of two picks.
                    # Does not: give exact shares or any affinity, or have a backup server.
                    """;
            case STICKY -> """
                    # Pick it when: sessions live in a replica's memory and clients keep cookies (browsers).
                    # Guarantees: a client with the cookie stays on its replica while that replica is up.
                    # Does not: exist before nginx 1.29.6 (Debian 12 has 1.22.1), or help clients that drop cookies.
                    """;
        };
    }

    /** Parses an id such as {@code least_conn}; an unknown one names the valid ids. */
    public static Algorithm fromId(String id) {
        for (Algorithm algorithm : values()) {
            if (algorithm.id().equals(id)) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("unknown algorithm '" + id + "': expected one of " + ids());
    }

    /** {@code round_robin, weighted, ...} in declaration order. */
    public static String ids() {
        return Arrays.stream(values()).map(Algorithm::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id();
    }
}
