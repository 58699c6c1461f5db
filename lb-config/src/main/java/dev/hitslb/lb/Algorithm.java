package dev.hitslb.lb;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The load-balancing methods of open-source nginx that this project demonstrates, under the names used
 * everywhere (CLI, files in nginx/, k6, tests, docs), and what nginx allows with each. What each adds
 * to the upstream block, and when to pick it, is its template:
 * {@code lb-config/src/main/resources/nginx-templates/upstream/<id>.conf} (see {@link NginxConfig}).
 */
public enum Algorithm {
    ROUND_ROBIN(NginxVersion.ANY),
    WEIGHTED(NginxVersion.ANY),
    LEAST_CONN(NginxVersion.ANY),
    IP_HASH(NginxVersion.ANY),
    HASH(NginxVersion.ANY),
    RANDOM(NginxVersion.ANY),
    STICKY(NginxVersion.STICKY);

    private final NginxVersion minimumNginx;

    Algorithm(NginxVersion minimumNginx) {
        this.minimumNginx = minimumNginx;
    }

    /** The name used in file names, on the command line and in the docs: {@code round_robin}, {@code ip_hash}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
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
