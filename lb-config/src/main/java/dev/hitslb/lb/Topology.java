package dev.hitslb.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place that describes the replicas behind nginx: {@code NAME-1}..{@code NAME-N} (the first
 * weighs 3, the others 1: a 3:1:1 split under {@code weighted}) and the standby {@code NAME-backup},
 * which gets traffic only when every other replica is down, with the methods that allow a backup.
 * NAME is the service's name: {@code hits} in compose.yaml, the service spec's under ./stack.
 */
public record Topology(List<Replica> replicas, Optional<Replica> backup) {
    /** The service compose.yaml runs (its services hits-1..hits-N, hits-backup), and the renderer's default. */
    public static final String COMPOSE_SERVICE = "hits";
    /** The port every replica listens on inside its container. */
    public static final int CONTAINER_PORT = 8080;
    static final int FIRST_REPLICA_WEIGHT = 3;
    static final int BACKUP_PORT_OFFSET = 10;

    public Topology {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("a topology needs at least one replica");
        }
        replicas = List.copyOf(replicas);
    }

    /** The name of replica {@code i} of {@code service}, counting from 1: {@code hits-1}, {@code hits-2}, ... */
    public static String replicaName(String service, int i) {
        return service + "-" + i;
    }

    /** The name of {@code service}'s standby: {@code hits-backup}. */
    public static String backupName(String service) {
        return service + "-backup";
    }

    /** compose.yaml's services: {@code hits-1:8080}..{@code hits-N:8080} and {@code hits-backup:8080}. */
    public static Topology compose(int replicas) {
        List<Replica> list = new ArrayList<>();
        for (int i = 1; i <= requirePositive(replicas); i++) {
            String name = replicaName(COMPOSE_SERVICE, i);
            list.add(new Replica(name, name, CONTAINER_PORT, weight(i)));
        }
        String backup = backupName(COMPOSE_SERVICE);
        return new Topology(list, Optional.of(new Replica(backup, backup, CONTAINER_PORT, 1)));
    }

    /**
     * ./stack's layout on 127.0.0.1: nginx on {@code nginxPort}, {@code service-i} on {@code nginxPort + i},
     * {@code service-backup} on {@code nginxPort + 10}.
     */
    public static Topology local(String service, int nginxPort, int replicas) {
        List<Integer> ports = new ArrayList<>();
        for (int i = 1; i <= requirePositive(replicas); i++) {
            ports.add(nginxPort + i);
        }
        return local(service, ports, Optional.of(nginxPort + BACKUP_PORT_OFFSET));
    }

    /**
     * Replicas on 127.0.0.1: {@code service-i} on {@code replicaPorts[i-1]}, and {@code service-backup} on
     * {@code backupPort} when it is present.
     */
    public static Topology local(String service, List<Integer> replicaPorts, Optional<Integer> backupPort) {
        List<Replica> list = new ArrayList<>();
        for (int i = 1; i <= replicaPorts.size(); i++) {
            list.add(new Replica(replicaName(service, i), "127.0.0.1", replicaPorts.get(i - 1), weight(i)));
        }
        return new Topology(list, backupPort.map(port -> new Replica(backupName(service), "127.0.0.1", port, 1)));
    }

    /** This topology, keeping the backup only when {@code algorithm} allows one. */
    public Topology forAlgorithm(Algorithm algorithm) {
        return algorithm.allowsBackup() ? this : new Topology(replicas, Optional.empty());
    }

    /** This topology without the named replica (as when it is taken out of the config). */
    public Topology without(String name) {
        List<Replica> rest = replicas.stream().filter(r -> !r.name().equals(name)).toList();
        if (rest.size() == replicas.size()) {
            throw new IllegalArgumentException("no replica named " + name);
        }
        return new Topology(rest, backup);
    }

    private static int weight(int i) {
        return i == 1 ? FIRST_REPLICA_WEIGHT : 1;
    }

    private static int requirePositive(int replicas) {
        if (replicas < 1 || replicas > 9) {
            throw new IllegalArgumentException("replicas must be 1..9, got " + replicas);
        }
        return replicas;
    }
}
