package dev.hitslb.lbtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lbtests.support.Dnsmasq;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.lbtests.support.NetnsRig;
import dev.hitslb.lbtests.support.RehearsalHost;
import dev.hitslb.lbtests.support.RehearsalNginx;
import dev.hitslb.lbtests.support.ReplicaContainers;
import dev.hitslb.testing.Load;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes rehearsal: what `kubectl apply -k k8s/overlays/round_robin` and `kubectl scale` do to
 * nginx, without a cluster. The ConfigMap's committed k8s/base/nginx.conf and the overlay's
 * upstream.conf on the modern nginx (>= 1.29.6) in a network namespace; the pods of the hits and
 * hits-backup Deployments each in a namespace of its own on port 8080 (the real jar), PostgreSQL and
 * Redis over the bridge; and the cluster DNS stood in for by dnsmasq on 127.0.0.11: the resolver name
 * the config gives answers with that address, and each headless Service name with the address of every
 * ready pod. Under steady load the hits Deployment scales 3 -> 5 -> 2 the way Kubernetes does it: a new
 * pod joins its Service's answer once ready; a pod scaled away leaves it at once, keeps serving through
 * its preStop pause (from k8s/workloads/hits/deployment.yaml), then gets SIGTERM. Zero failed requests;
 * each new pod gets traffic within the resolver's {@code valid} + 1 s; a removed one gets none after
 * that; the total in PostgreSQL equals the 2xx answers; the backup gets nothing. Needs root: its own CI
 * step, with the compose rehearsal.
 */
class KubernetesRehearsalIT {
    private static final Algorithm ALGORITHM = Algorithm.ROUND_ROBIN;
    private static final List<String> PODS =
            IntStream.rangeClosed(1, 5).mapToObj(i -> "hits-pod-" + i).toList();
    private static final String BACKUP_POD = "hits-backup-pod-1";
    private static final int CLIENTS = 4;
    /** How long the load runs between steps, so each table has a few thousand answers. */
    private static final Duration SETTLE = Duration.ofSeconds(2);

    /**
     * What the committed manifests say that the rehearsal acts on: the resolver's name and {@code valid},
     * the two Services the upstream block names, and the pods' preStop pause.
     */
    record Committed(String clusterDns, Duration valid, String service, String backupService, Duration preStop) {
        static Committed read(Path repo, Algorithm algorithm) throws IOException {
            String nginx = Files.readString(repo.resolve("k8s/base/nginx.conf"));
            String upstream = Files.readString(repo.resolve("k8s/overlays/" + algorithm.id() + "/upstream.conf"));
            String deployment = Files.readString(repo.resolve("k8s/workloads/hits/deployment.yaml"));
            Matcher resolver = find(
                    nginx, "(?m)^\\s*resolver (\\S+) valid=(\\d+)s", "k8s/base/nginx.conf: resolver <name> valid=<N>s");
            Matcher service = find(
                    upstream,
                    "(?m)^\\s*server (\\S+):8080 resolve (?!.*backup)",
                    "upstream.conf: a server line without backup");
            Matcher backup = find(
                    upstream, "(?m)^\\s*server (\\S+):8080 resolve .*backup", "upstream.conf: the backup server line");
            Matcher preStop =
                    find(deployment, "preStop:\\s+sleep:\\s+seconds: (\\d+)", "deployment.yaml: preStop sleep seconds");
            return new Committed(
                    resolver.group(1),
                    Duration.ofSeconds(Long.parseLong(resolver.group(2))),
                    service.group(1),
                    backup.group(1),
                    Duration.ofSeconds(Long.parseLong(preStop.group(1))));
        }

        /** nginx asks again {@code valid} after its last answer, and waits up to a second more for the timer. */
        Duration resolvedWithin() {
            return valid.plusSeconds(1);
        }

        private static Matcher find(String text, String regex, String what) {
            Matcher m = Pattern.compile(regex).matcher(text);
            if (!m.find()) {
                throw new IllegalStateException("the committed k8s/ no longer has " + what + ": update this rehearsal");
            }
            return m;
        }
    }

    @Test
    void scale_3_to_5_to_2_under_steady_load() throws Exception {
        long t0 = System.nanoTime();
        try (RehearsalHost host = RehearsalHost.start("KubernetesRehearsalIT")) {
            Committed k8s = Committed.read(host.repo, ALGORITHM);
            System.out.println("committed: " + k8s);
            assertThat(k8s.preStop())
                    .as("preStop pause (a removed pod must outlast nginx's re-resolve)")
                    .isGreaterThan(k8s.resolvedWithin());
            NetnsRig rig = host.rig;
            String nginxAddress = rig.address(2);
            rig.add("nginx", nginxAddress);
            // CoreDNS answers with a 5 s TTL by default; nginx's valid= decides when it asks again anyway.
            try (Dnsmasq dns = Dnsmasq.start(
                            rig,
                            "nginx",
                            host.dir.resolve("dns"),
                            Map.of(k8s.clusterDns(), Dnsmasq.ADDRESS),
                            Duration.ofSeconds(5));
                    ReplicaContainers pods = host.replicas(
                            dns,
                            ReplicaContainers.Naming.service(
                                    pod -> pod.startsWith("hits-backup") ? k8s.backupService() : k8s.service()))) {
                for (int i = 0; i < PODS.size(); i++) {
                    pods.create(PODS.get(i), rig.address(11 + i));
                }
                pods.create(BACKUP_POD, rig.address(30));
                pods.startAll(List.of(PODS.get(0), PODS.get(1), PODS.get(2), BACKUP_POD));
                try (RehearsalNginx nginx = RehearsalNginx.kubernetes(
                        host.repo, ALGORITHM, rig, "nginx", nginxAddress, host.dir.resolve("nginx.log"))) {
                    System.out.printf(
                            "kubectl apply: bridge %s, nginx at %s:8080, 3 pods and the backup ready in %d ms%n",
                            rig.network(), nginxAddress, millis(t0, System.nanoTime()));
                    scale(host, k8s, pods, "http://" + nginxAddress + ":8080");
                }
            }
        }
        System.out.printf("%nKubernetesRehearsalIT: %.1f s in all%n", millis(t0, System.nanoTime()) / 1000.0);
    }

    private static void scale(RehearsalHost host, Committed k8s, ReplicaContainers pods, String nginx) {
        awaitFirstAnswer(nginx);
        long totalBefore = host.total();
        Load load = Load.steady(nginx, CLIENTS);
        long start = System.nanoTime();
        LbStack.sleep(SETTLE);
        List<Load.Answer> before = between(load.answers(), start, System.nanoTime());
        System.out.print(Load.table("3 pods, before scaling", Load.byInstance(before)));
        assertThat(Load.byInstance(before).keySet())
                .as("who served with 3 pods")
                .containsExactlyInAnyOrderElementsOf(PODS.subList(0, 3));

        // kubectl scale --replicas=5: two new pods, each in the Service's answer once ready.
        List<String> added = PODS.subList(3, 5);
        List<CompletableFuture<Long>> joins = added.stream()
                .map(pod -> CompletableFuture.supplyAsync(() -> {
                    pods.start(pod);
                    return System.nanoTime();
                }))
                .toList();
        long allServing = 0;
        for (int i = 0; i < added.size(); i++) {
            long joined = joins.get(i).join();
            long served =
                    load.awaitServed(added.get(i), joined, k8s.resolvedWithin().plusSeconds(20));
            allServing = Math.max(allServing, joined + served * 1_000_000);
            System.out.printf(
                    "scale 3 -> 5: %s ready and in the Service's answer; first request %d ms later (limit %d ms)%n",
                    added.get(i), served, k8s.resolvedWithin().toMillis());
            assertThat(served)
                    .as("ms from %s joining the Service's answer to its first request", added.get(i))
                    .isLessThanOrEqualTo(k8s.resolvedWithin().toMillis());
        }
        LbStack.sleep(SETTLE);
        List<Load.Answer> five = between(load.answers(), allServing, System.nanoTime());
        System.out.print(Load.table("after 3 -> 5", Load.byInstance(five)));
        assertThat(Load.byInstance(five).keySet())
                .as("who served with 5 pods")
                .containsExactlyInAnyOrderElementsOf(PODS);

        // kubectl scale --replicas=2: three pods terminating, out of the answer at once, SIGTERM after preStop.
        List<String> removed = PODS.subList(2, 5);
        long left = System.nanoTime();
        removed.forEach(pods::leave);
        LbStack.sleep(k8s.preStop());
        CompletableFuture.allOf(removed.stream()
                        .map(pod -> CompletableFuture.runAsync(() -> pods.terminate(pod)))
                        .toArray(CompletableFuture[]::new))
                .join();
        long ended = System.nanoTime();
        LbStack.sleep(SETTLE);
        List<Load.Answer> answers = load.stop();
        long counted = host.total() - totalBefore;

        long resolved = left + k8s.resolvedWithin().toNanos();
        for (String pod : removed) {
            long last = answers.stream()
                    .filter(a -> a.instance().equals(pod))
                    .mapToLong(Load.Answer::sentNanos)
                    .max()
                    .orElse(left);
            System.out.printf(
                    "scale 5 -> 2: %s left the Service's answer; last request %d ms later, SIGTERM after %d ms%n",
                    pod, millis(left, last), k8s.preStop().toMillis());
        }
        System.out.print(Load.table(
                "while 3 pods terminated (first " + k8s.resolvedWithin().toSeconds() + " s)",
                Load.byInstance(between(answers, left, resolved))));
        System.out.print(Load.table("after 5 -> 2", Load.byInstance(between(answers, resolved, System.nanoTime()))));
        assertThat(Load.byInstance(between(answers, resolved, System.nanoTime()))
                        .keySet())
                .as(
                        "who served more than %d s after 3 pods left the answer",
                        k8s.resolvedWithin().toSeconds())
                .containsExactlyInAnyOrderElementsOf(PODS.subList(0, 2));
        assertThat(Load.byInstance(between(answers, ended, System.nanoTime())).keySet())
                .as("who served after the SIGTERMs")
                .containsExactlyInAnyOrderElementsOf(PODS.subList(0, 2));

        System.out.print(Load.table("the whole run", Load.byInstance(answers)));
        System.out.printf("the whole run: %s; the total in PostgreSQL grew by %d%n", Load.summary(answers), counted);
        assertThat(Load.failed(answers))
                .as("failed requests while scaling 3 -> 5 -> 2")
                .isEmpty();
        assertThat(counted)
                .as("page loads counted in PostgreSQL: the 2xx answers")
                .isEqualTo(Load.ok(answers));
        assertThat(Load.byInstance(answers))
                .as("the backup, while pods were up")
                .doesNotContainKey(BACKUP_POD);
    }

    /** nginx resolves the Service names as it starts; waits for the first page load through it. */
    private static void awaitFirstAnswer(String nginx) {
        long started = System.nanoTime();
        List<Load.Answer> early = new ArrayList<>();
        for (Load.Answer a = Load.fixed(1, 1, i -> Load.page(nginx)).get(0);
                !a.ok();
                a = Load.fixed(1, 1, i -> Load.page(nginx)).get(0)) {
            early.add(a);
            assertThat(millis(started, System.nanoTime()))
                    .as("ms until nginx serves after start (answers: %s)", Load.summary(early))
                    .isLessThan(5_000);
            LbStack.sleep(Duration.ofMillis(20));
        }
        System.out.printf(
                "nginx served its first page load %d ms after port 8080 opened (%d answers before)%n",
                millis(started, System.nanoTime()), early.size());
    }

    /** The answers to requests sent in [{@code from}, {@code to}). */
    private static List<Load.Answer> between(List<Load.Answer> answers, long from, long to) {
        return answers.stream()
                .filter(a -> a.sentNanos() >= from && a.sentNanos() < to)
                .toList();
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
