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
    /** The namespace of {@code k8s/}, part of every Service's full DNS name. */
    public static final String KUBERNETES_NAMESPACE = "hits-lb";
    /** The cluster's DNS domain (kubelet's {@code clusterDomain}; {@code cluster.local} unless the cluster was set up otherwise). */
    public static final String CLUSTER_DOMAIN = "cluster.local";
    /** Under {@code weighted} on Kubernetes: the Deployment (and headless Service) whose every pod weighs 3. */
    public static final String HEAVY_GROUP = "hits-heavy";

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
     * k8s/'s headless Services, one server line each, standing for every ready pod behind it:
     * {@code hits} and, where {@code algorithm} allows one, the standby {@code hits-backup}. Under
     * {@code weighted}, a second group {@code hits-heavy} whose pods weigh 3 (a weight applies to every
     * address a name resolves to, so weights are per Deployment; k8s/components/weighted runs one
     * heavy pod beside two of {@code hits}: the 3:1:1 of compose).
     */
    public static Topology kubernetes(Algorithm algorithm) {
        List<Replica> groups = new ArrayList<>();
        if (algorithm == Algorithm.WEIGHTED) {
            groups.add(new Replica(HEAVY_GROUP, serviceHost(HEAVY_GROUP), CONTAINER_PORT, FIRST_REPLICA_WEIGHT));
        }
        groups.add(new Replica(COMPOSE_SERVICE, serviceHost(COMPOSE_SERVICE), CONTAINER_PORT, 1));
        String backup = backupName(COMPOSE_SERVICE);
        return new Topology(groups, Optional.of(new Replica(backup, serviceHost(backup), CONTAINER_PORT, 1)))
                .forAlgorithm(algorithm);
    }

    /**
     * The full DNS name of a Service in {@link #KUBERNETES_NAMESPACE}: {@code hits.hits-lb.svc.cluster.local}.
     * Full, because nginx's own resolver does not use the pod's DNS search list.
     */
    public static String serviceHost(String service) {
        return service + "." + KUBERNETES_NAMESPACE + ".svc." + CLUSTER_DOMAIN;
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
        List<Replica> rest =
                replicas.stream().filter(r -> !r.name().equals(name)).toList();
        if (rest.size() == replicas.size()) {
            throw new IllegalArgumentException("no replica named " + name);
        }
        return new Topology(rest, backup);
    }

    /** This topology with the named replica reached at {@code host:port} instead: a proxy in front of it. */
    public Topology via(String name, String host, int port) {
        if (replicas.stream().noneMatch(r -> r.name().equals(name))) {
            throw new IllegalArgumentException("no replica named " + name);
        }
        return new Topology(
                replicas.stream()
                        .map(r -> r.name().equals(name) ? new Replica(name, host, port, r.weight()) : r)
                        .toList(),
                backup);
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
