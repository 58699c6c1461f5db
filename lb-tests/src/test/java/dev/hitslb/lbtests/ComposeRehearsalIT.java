package dev.hitslb.lbtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lbtests.support.Clients;
import dev.hitslb.lbtests.support.Dnsmasq;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.lbtests.support.NetnsRig;
import dev.hitslb.lbtests.support.RehearsalHost;
import dev.hitslb.lbtests.support.RehearsalNginx;
import dev.hitslb.lbtests.support.ReplicaContainers;
import dev.hitslb.testing.Load;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The compose rehearsal: what `docker compose up` runs, without Docker. The committed nginx/nginx.conf
 * and nginx/&lt;algorithm&gt;.conf on the modern nginx (>= 1.29.6), hits-1..3 and hits-backup each in a
 * network namespace of their own on port 8080 (the real jar), PostgreSQL and Redis reached over the
 * bridge, and a DNS server on 127.0.0.11 in nginx's namespace answering the service names with Docker's
 * 600 s TTL. For each algorithm: a name that does not resolve when nginx starts and then appears;
 * distribution and affinity; under steady load a replica SIGKILLed while its name leaves DNS and started
 * again (compose kill/start), and one recreated at a new address: zero failed requests, the total in
 * PostgreSQL equal to the 2xx answers, the time until each serves again, affinity across those
 * events; the backup when every replica is down; and nginx's JSON 503 when nothing is left.
 * Needs root (namespaces, a bridge); without it every test fails, saying so.
 */
class ComposeRehearsalIT {
    private static final List<String> REPLICAS = List.of("hits-1", "hits-2", "hits-3");
    private static final String BACKUP = "hits-backup";
    /** Clients per algorithm; the first half keep sending during the events, the second half are idle then. */
    private static final int CLIENTS = 48;

    private static final Duration SERVE_AGAIN_TIMEOUT = Duration.ofSeconds(25);
    private static final long SUITE_START = System.nanoTime();

    private static RehearsalHost host;
    private static NetnsRig rig;
    private static Dnsmasq dns;
    private static ReplicaContainers replicas;
    private static String nginxAddress;
    private static int nextAddress = 100;
    private RehearsalNginx nginx;

    @BeforeAll
    static void compose_up() throws Exception {
        host = RehearsalHost.start("ComposeRehearsalIT");
        rig = host.rig;
        nginxAddress = rig.address(2);
        rig.add("nginx", nginxAddress);
        dns = Dnsmasq.start(rig, "nginx", host.dir.resolve("dns"), Map.of(), Duration.ofSeconds(600)); // Docker's TTL
        replicas = host.replicas(dns, ReplicaContainers.Naming.COMPOSE);
        List<String> all = names();
        for (int i = 0; i < all.size(); i++) {
            replicas.create(all.get(i), rig.address(11 + i));
        }
        replicas.startAll(allBut3());
        System.out.printf(
                "compose up: bridge %s, nginx at %s, replicas %s, in %d ms%n",
                rig.network(),
                nginxAddress,
                all.stream().map(n -> n + "=" + replicas.address(n)).toList(),
                millisSince(SUITE_START));
    }

    @AfterAll
    static void compose_down() {
        try {
            if (replicas != null) {
                replicas.close();
            }
            if (dns != null) {
                dns.close();
            }
        } finally {
            if (host != null) {
                host.close();
            }
            System.out.printf("%nComposeRehearsalIT: %.1f s in all%n", millisSince(SUITE_START) / 1000.0);
        }
    }

    @AfterEach
    void restore() {
        if (nginx != null) {
            nginx.close();
        }
        replicas.startAll(allBut3().stream().filter(n -> !replicas.running(n)).toList());
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void rehearse(Algorithm algorithm) {
        long t0 = System.nanoTime();
        System.out.println("\n===== " + algorithm.id() + " (nginx/" + algorithm.id() + ".conf as committed)");
        Clients clients = new Clients(algorithm, rig, nginxAddress, CLIENTS);

        nameMissingAtStartThenAppears(algorithm, clients);
        Map<Integer, String> home = distribution(algorithm, clients);
        killAndRecreateUnderLoad(algorithm, clients, home);
        afterTheEvents(algorithm, clients, home);
        everyReplicaDown(algorithm, clients);
        System.out.printf("%s: %.1f s%n", algorithm.id(), millisSince(t0) / 1000.0);
    }

    /**
     * hits-3 is not running, so its name does not resolve, when nginx starts (nginx must start anyway);
     * then it starts (its name appears) and gets traffic. Until the resolver's first answers nginx has
     * no server at all: the time until the first 200 and the JSON 503s before it are printed.
     */
    private void nameMissingAtStartThenAppears(Algorithm algorithm, Clients clients) {
        if (replicas.running("hits-3")) {
            replicas.kill("hits-3");
        }
        nginx = RehearsalNginx.compose(
                host.repo, algorithm, rig, "nginx", nginxAddress, host.dir.resolve("nginx-" + algorithm.id() + ".log"));
        long listening = System.nanoTime();
        List<Load.Answer> early = new java.util.ArrayList<>();
        for (Load.Answer a = clients.sendAsNew(0); !a.ok(); a = clients.sendAsNew(0)) {
            early.add(a);
            assertThat(a.status()).as("before the names resolve: %s", a.body()).isEqualTo(503);
            assertThat(millisSince(listening))
                    .as("ms until nginx serves after start")
                    .isLessThan(5_000);
            sleep(Duration.ofMillis(20));
        }
        System.out.printf(
                "nginx started with hits-3 unresolvable; first 200 %d ms after port 80 opened (%d JSON 503 before)%n",
                millisSince(listening), early.size());
        Load load = Load.steady(4, i -> clients.sendAsNew(i % CLIENTS));
        sleep(Duration.ofMillis(500));
        long appeared = System.nanoTime();
        replicas.start("hits-3");
        long ready = System.nanoTime();
        long served = awaitServed(load, "hits-3", ready);
        List<Load.Answer> answers = load.stop();
        System.out.printf(
                "hits-3 started: its name resolves at once, ready %d ms later, served %d ms after ready (%s)%n",
                millis(appeared, ready), served, Load.summary(answers));
        assertOnlyRetriesAcrossAChange(answers, "while hits-3 did not resolve, then did", 4);
    }

    /** Every replica gets traffic in the promised shares; with an affinity method each client keeps to one. */
    private Map<Integer, String> distribution(Algorithm algorithm, Clients clients) {
        clients.takeServed();
        List<Load.Answer> answers = Load.calls(CLIENTS * 10, 4, i -> clients.send(i % CLIENTS));
        Map<String, Long> counts = Load.byInstance(answers);
        System.out.print(Load.table(algorithm.id() + ": distribution, " + CLIENTS + " clients x 10", counts));
        assertThat(Load.failed(answers)).as("failed requests").isEmpty();
        assertThat(counts.keySet())
                .as("every replica gets traffic, the backup none")
                .containsExactlyElementsOf(REPLICAS);
        switch (algorithm) {
            case ROUND_ROBIN ->
                REPLICAS.forEach(r -> assertThat(share(counts, r)).as(r).isCloseTo(100.0 / 3, within(3.0)));
            case WEIGHTED -> {
                assertThat(share(counts, "hits-1")).as("hits-1 (weight 3)").isCloseTo(60.0, within(5.0));
                assertThat(share(counts, "hits-2")).as("hits-2").isCloseTo(20.0, within(5.0));
                assertThat(share(counts, "hits-3")).as("hits-3").isCloseTo(20.0, within(5.0));
            }
            case LEAST_CONN, RANDOM ->
                REPLICAS.forEach(r -> assertThat(share(counts, r)).as(r).isGreaterThan(15.0));
            default -> {}
        }
        Map<Integer, String> home = new TreeMap<>();
        if (clients.affine()) {
            Map<Integer, Set<String>> served = clients.takeServed();
            served.forEach((k, replicas) ->
                    assertThat(replicas).as("replicas that served client %d", k).hasSize(1));
            served.forEach((k, replicas) -> home.put(k, replicas.iterator().next()));
            assertThat(home).as("clients").hasSize(CLIENTS);
            System.out.println("clients per replica: " + perReplica(home));
        }
        return home;
    }

    /**
     * Under steady load from the first half of the clients: hits-2 SIGKILLed (its name leaves DNS) and
     * started again, hits-1 recreated at a new address. Zero failures, total == 2xx, the time until each
     * serves again, and clients of hits-3 (never touched) stay on hits-3 throughout.
     */
    private void killAndRecreateUnderLoad(Algorithm algorithm, Clients clients, Map<Integer, String> home) {
        long before = dbTotal();
        int busy = CLIENTS / 2;
        clients.takeServed();
        // Half the requests come from new visitors: under sticky the known clients keep the replica
        // their cookie names, and only a new one shows that a returning replica gets traffic again.
        Load load = Load.steady(6, i -> i % 2 == 0 ? clients.send(i / 2 % busy) : clients.sendAsNew(i / 2 % busy));
        sleep(Duration.ofMillis(500));
        long killed = System.nanoTime();
        replicas.kill("hits-2");
        sleep(Duration.ofMillis(500));
        String newAddress = rig.address(nextAddress++);
        String oldAddress = replicas.address("hits-1");
        long renamed = System.nanoTime();
        CompletableFuture<Long> recreated = CompletableFuture.supplyAsync(() -> {
            replicas.recreate("hits-1", newAddress);
            return System.nanoTime();
        });
        long started = System.nanoTime();
        CompletableFuture<Long> restarted = CompletableFuture.supplyAsync(() -> {
            replicas.start("hits-2");
            return System.nanoTime();
        });
        long ready1 = recreated.join();
        long ready2 = restarted.join();
        long served1 = awaitServed(load, "hits-1", ready1);
        long served2 = awaitServed(load, "hits-2", ready2);
        sleep(Duration.ofMillis(500));
        List<Load.Answer> answers = load.stop();
        long after = dbTotal();
        System.out.printf(
                "kill hits-2 (SIGKILL, name gone) and recreate hits-1 (%s -> %s) under load of %d clients: %s%n",
                oldAddress, newAddress, busy, Load.summary(answers));
        System.out.printf(
                "  hits-1 at its new address: ready %d ms after its name changed, served %d ms after ready (%d ms after the change)%n",
                millis(renamed, ready1), served1, millis(renamed, ready1) + served1);
        System.out.printf(
                "  hits-2 started again: ready %d ms after start, served %d ms after ready (down %d ms)%n",
                millis(started, ready2), served2, millis(killed, ready2));
        System.out.print(Load.table("  answers during the events", Load.byInstance(answers)));
        assertOnlyRetriesAcrossAChange(answers, "across kill, start and a new address", 6);
        assertCounted(after - before, answers);
        if (clients.affine()) {
            Map<Integer, Set<String>> served = clients.takeServed();
            List<String> moved = IntStream.range(0, busy)
                    .filter(k -> "hits-3".equals(home.get(k)))
                    .filter(k -> !served.get(k).equals(Set.of("hits-3")))
                    .mapToObj(k -> k + " " + served.get(k))
                    .toList();
            assertThat(moved)
                    .as("clients of hits-3 (up all along) that another replica served during the events")
                    .isEmpty();
        }
    }

    /** Everyone back: all replicas serve again, and with affinity every client is back on its replica. */
    private void afterTheEvents(Algorithm algorithm, Clients clients, Map<Integer, String> home) {
        if (!clients.affine()) {
            List<Load.Answer> answers = Load.calls(300, 4, i -> clients.send(i % CLIENTS));
            Map<String, Long> counts = Load.byInstance(answers);
            System.out.print(Load.table(algorithm.id() + ": after the events", counts));
            assertThat(Load.failed(answers)).isEmpty();
            assertThat(counts.keySet())
                    .as("every replica, hits-1 at its new address too")
                    .containsExactlyElementsOf(REPLICAS);
            return;
        }
        // A replica that failed a request during the events (a fresh JVM's slow first answers) is passed
        // over for fail_timeout, and meanwhile sticky would rebind its clients for good
        // (docs/load-balancing.md#the-algorithms): wait it out.
        sleep(Duration.ofMillis(5_500));
        Map<Integer, String> now = homes(clients);
        List<String> changes = home.keySet().stream()
                .filter(k -> !home.get(k).equals(now.get(k)))
                .map(k -> "client " + k + (k < CLIENTS / 2 ? " (busy)" : " (idle)") + ": " + home.get(k) + " -> "
                        + now.get(k))
                .toList();
        System.out.println("after the events, clients per replica: " + perReplica(now) + "; moved: " + changes.size()
                + changes.stream().limit(12).map(c -> "\n  " + c).collect(Collectors.joining()));
        List<String> ofUntouched =
                changes.stream().filter(c -> c.contains(": hits-3 ->")).toList();
        assertThat(ofUntouched)
                .as("clients of hits-3, which was up all along, that moved")
                .isEmpty();
        List<String> idle = changes.stream().filter(c -> c.contains("(idle)")).toList();
        assertThat(idle)
                .as("clients idle during the events that are not back on their replica")
                .isEmpty();
    }

    /**
     * Every replica down (hits-3 SIGKILLed, hits-1 and hits-2 stopped: address and name gone): the
     * backup answers with zero failures where the method allows one; then, it stopped too, nginx's
     * JSON 503. (Stopped rather than killed, so the next algorithm gets them back without a JVM start.)
     */
    private void everyReplicaDown(Algorithm algorithm, Clients clients) {
        if (algorithm.allowsBackup()) {
            long before = dbTotal();
            Load load = Load.steady(4, i -> clients.sendAsNew(i % CLIENTS));
            sleep(Duration.ofMillis(500));
            allDown();
            long killed = System.nanoTime();
            long served = awaitServed(load, BACKUP, killed);
            sleep(Duration.ofSeconds(1));
            List<Load.Answer> answers = load.stop();
            System.out.printf(
                    "every replica down: hits-backup served %d ms later (%s)%n", served, Load.summary(answers));
            assertOnlyRetriesAcrossAChange(answers, "when every replica went down", 4);
            assertCounted(dbTotal() - before, answers);
            assertThat(answers.stream()
                            .filter(a -> a.sentNanos() > killed + 100_000_000L)
                            .map(Load.Answer::instance)
                            .distinct())
                    .as("who answered after the replicas went down")
                    .containsOnly(BACKUP);
            replicas.stop(BACKUP);
        } else {
            allDown();
        }
        long down = System.nanoTime();
        Load.Answer answer = clients.send(0);
        for (int i = 0; i < 20 && answer.status() != 503; i++) {
            answer = clients.send(i);
        }
        System.out.printf(
                "nothing left: %d %s (X-Instance-Id %s) %d ms after the last kill%n",
                answer.status(), answer.body().strip(), answer.instance(), millis(down, System.nanoTime()));
        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.instance()).isEqualTo("nginx");
        assertThat(answer.body()).contains("\"error\":\"no replica is available");
    }

    /**
     * Zero failed requests, except what nginx open source cannot avoid: a request whose try failed (a
     * vanished address: a 1 s connect timeout) and whose retry comes after nginx applied a DNS change
     * gets no further try ("no live upstreams": nginx does not retry on a group that changed since the
     * request began), so nginx's JSON 503 with Retry-After. At most the requests in flight when the
     * change lands, {@code clients}; stated in docs/load-balancing.md#the-compose-dns-pitfall.
     */
    private static void assertOnlyRetriesAcrossAChange(List<Load.Answer> answers, String when, int clients) {
        List<Load.Answer> failed = Load.failed(answers);
        if (!failed.isEmpty()) {
            System.out.printf(
                    "  %d of %d requests %s got nginx's JSON 503 (a retry across a DNS change)%n",
                    failed.size(), answers.size(), when);
        }
        assertThat(failed)
                .as("failed requests %s other than nginx's JSON 503", when)
                .allMatch(a -> a.status() == 503
                        && a.instance().equals("nginx")
                        && a.body().contains("no replica is available"));
        assertThat(failed.size())
                .as("nginx's JSON 503s %s (of %d requests from %d clients)", when, answers.size(), clients)
                .isLessThanOrEqualTo(clients);
    }

    /**
     * The total in PostgreSQL rose by the 2xx answers, plus at most the JSON 503s: a replica that
     * vanished after counting a page load but before answering leaves nginx a retry, and if that retry
     * falls across a DNS change the client gets the 503 for a page load that was counted.
     */
    private static void assertCounted(long counted, List<Load.Answer> answers) {
        long ok = Load.ok(answers);
        assertThat(counted)
                .as(
                        "page loads counted in PostgreSQL: the %d 2xx answers, plus at most the %d JSON 503s",
                        ok, Load.failed(answers).size())
                .isBetween(ok, ok + Load.failed(answers).size());
    }

    private static void allDown() {
        replicas.kill("hits-3");
        replicas.stop("hits-1");
        replicas.stop("hits-2");
    }

    /** Each client's replica now: two requests each (sticky clients get their cookie on the first), which must agree. */
    private static Map<Integer, String> homes(Clients clients) {
        Map<Integer, String> home = new TreeMap<>();
        for (int round = 0; round < 2; round++) {
            List<Load.Answer> answers = Load.calls(CLIENTS, 1, clients::send);
            for (int k = 0; k < CLIENTS; k++) {
                Load.Answer a = answers.get(k);
                assertThat(a.ok()).as("client %d: %s", k, a.body()).isTrue();
                String before = home.put(k, a.instance());
                if (round > 0) {
                    assertThat(a.instance())
                            .as("client %d, request after request", k)
                            .isEqualTo(before);
                }
            }
        }
        return home;
    }

    private static Map<String, Long> perReplica(Map<Integer, String> home) {
        return home.values().stream().collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
    }

    /** Milliseconds from {@code after} until the first 2xx from {@code instance} sent after it; fails after a timeout. */
    private static long awaitServed(Load load, String instance, long after) {
        return load.awaitServed(instance, after, SERVE_AGAIN_TIMEOUT);
    }

    private static long dbTotal() {
        return host.total();
    }

    /** Every container but hits-3, which each algorithm's first scenario starts after nginx. */
    private static List<String> allBut3() {
        return names().stream().filter(n -> !n.equals("hits-3")).toList();
    }

    private static List<String> names() {
        return List.of("hits-1", "hits-2", "hits-3", BACKUP);
    }

    private static double share(Map<String, Long> counts, String replica) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        return 100.0 * counts.getOrDefault(replica, 0L) / total;
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private static long millisSince(long from) {
        return millis(from, System.nanoTime());
    }

    private static void sleep(Duration d) {
        LbStack.sleep(d);
    }
}
