package dev.hitslb.lbtests;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.Replica;
import dev.hitslb.lb.Topology;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.lbtests.support.Specs;
import dev.hitslb.servers.SlowProxy;
import dev.hitslb.testing.Load;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.config.RestAssuredConfig;
import io.restassured.filter.cookie.CookieFilter;
import io.restassured.specification.RequestSpecification;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each algorithm spreads requests as it promises, on real replicas behind the real nginx. */
class DistributionIT {
    private static final List<String> REPLICAS = List.of("hits-1", "hits-2", "hits-3");
    private static RequestSpecification page;

    @BeforeAll
    static void stack() {
        LbStack.get();
        page = Specs.page(LbStack.baseUrl());
    }

    /** How many clients (or keys) each replica serves, from the replica of each, in name order. */
    private static Map<String, Long> perReplica(Map<String, String> replicaOf) {
        return replicaOf.values().stream()
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }

    /** Sends {@code n} page loads one after another, each through {@code spec}; counts who answered. */
    private static Map<String, Long> distribution(int n, Function<Integer, RequestSpecification> spec) {
        Map<String, Long> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String instance = given().spec(spec.apply(i))
                    .when()
                    .get("/")
                    .then()
                    .statusCode(200)
                    .extract()
                    .header("X-Instance-Id");
            counts.merge(instance, 1L, Long::sum);
        }
        return counts;
    }

    private static double share(Map<String, Long> counts, String instance) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        return 100.0 * counts.getOrDefault(instance, 0L) / total;
    }

    @Test
    void round_robin_gives_each_replica_a_third_to_within_one_percent() {
        LbStack.use(Algorithm.ROUND_ROBIN);
        long before = LbStack.dbTotal();
        Map<String, Long> counts = distribution(3000, i -> page);
        System.out.print(Load.table("round_robin, 3 replicas", counts));
        assertThat(counts.keySet()).containsExactlyElementsOf(REPLICAS);
        counts.values().forEach(n -> assertThat(n).isBetween(990L, 1010L));
        assertThat(LbStack.dbTotal() - before).as("counted exactly once each").isEqualTo(3000);
    }

    @Test
    void weighted_3_1_1_gives_shares_within_two_points_of_the_weights() {
        LbStack.use(Algorithm.WEIGHTED);
        Map<String, Long> counts = distribution(3000, i -> page);
        System.out.print(Load.table("weighted 3:1:1", counts));
        assertThat(share(counts, "hits-1")).isCloseTo(60.0, within(2.0));
        assertThat(share(counts, "hits-2")).isCloseTo(20.0, within(2.0));
        assertThat(share(counts, "hits-3")).isCloseTo(20.0, within(2.0));
    }

    @Test
    void random_two_least_conn_gives_each_replica_a_third_to_within_five_points() {
        LbStack.use(Algorithm.RANDOM);
        // One request at a time: the two random picks always tie on requests in flight, so this measures
        // the random part. (Under concurrency the least_conn part steers away from a replica that is
        // momentarily slower, e.g. one whose JIT is still cold: CI once saw 26.6% that way. The
        // least_conn test covers that behaviour.)
        Map<String, Long> counts = distribution(3000, i -> page);
        System.out.print(Load.table("random two least_conn, one request at a time", counts));
        REPLICAS.forEach(r -> assertThat(share(counts, r)).as(r).isCloseTo(100.0 / 3, within(5.0)));
    }

    @Test
    void ip_hash_keeps_each_client_network_on_one_replica() throws Exception {
        LbStack.use(Algorithm.IP_HASH);
        // 50 clients on distinct /24 networks: 127.0.N.1 is a local address on Linux.
        Map<String, String> replicaOfClient = new TreeMap<>();
        for (int n = 1; n <= 50; n++) {
            InetAddress source = InetAddress.getByName("127.0." + n + ".1");
            RequestSpecification client = new RequestSpecBuilder()
                    .addRequestSpecification(page)
                    .setConfig(RestAssuredConfig.config()
                            .httpClient(Specs.timeouts().setParam("http.route.local-address", source)))
                    .build();
            Map<String, Long> seen = distribution(6, i -> client);
            assertThat(seen).as("client %s", source.getHostAddress()).hasSize(1);
            replicaOfClient.put(
                    source.getHostAddress(), seen.keySet().iterator().next());
        }
        Map<String, Long> clientsPerReplica = perReplica(replicaOfClient);
        System.out.print(Load.table("ip_hash: clients (distinct /24s) per replica", clientsPerReplica));
        assertThat(clientsPerReplica.keySet())
                .as("every replica serves some clients")
                .containsExactlyElementsOf(REPLICAS);
    }

    @Test
    void sticky_keeps_each_cookie_client_on_one_replica() {
        // nginx >= 1.29.6 (tools/modern-nginx fetch): on an older one the renderer refuses sticky, naming the command.
        LbStack.use(Algorithm.STICKY);
        Map<String, String> replicaOfClient = new TreeMap<>();
        for (int c = 1; c <= 30; c++) {
            // A client of its own: a cookie jar that keeps what nginx sets, as a browser does.
            RequestSpecification client = new RequestSpecBuilder()
                    .addRequestSpecification(page)
                    .addFilter(new CookieFilter())
                    .build();
            Map<String, Long> seen = distribution(6, i -> client);
            assertThat(seen).as("client %d, with its cookie", c).hasSize(1);
            replicaOfClient.put("client-" + c, seen.keySet().iterator().next());
        }
        Map<String, Long> clientsPerReplica = perReplica(replicaOfClient);
        System.out.print(Load.table("sticky: cookie clients per replica", clientsPerReplica));
        assertThat(clientsPerReplica.keySet())
                .as("new clients are balanced, then stay")
                .containsExactlyElementsOf(REPLICAS);
    }

    @Test
    void hash_keeps_each_key_and_removing_a_replica_moves_only_its_keys() {
        LbStack.use(Algorithm.HASH);
        Map<String, String> before = replicaOfKeys(300);
        assertThat(replicaOfKeys(300)).as("same key, same replica").isEqualTo(before);
        Map<String, Long> keysPerReplica = perReplica(before);
        System.out.print(Load.table("hash: 300 keys per replica", keysPerReplica));
        assertThat(keysPerReplica.keySet()).containsExactlyElementsOf(REPLICAS);

        Topology full = LbStack.get().layout().topology(Algorithm.HASH);
        LbStack.use(Algorithm.HASH, full.without("hits-2"));
        Map<String, String> after = replicaOfKeys(300);
        long moved = before.keySet().stream()
                .filter(k -> !before.get(k).equals(after.get(k)))
                .count();
        before.forEach((key, replica) -> {
            if (!replica.equals("hits-2")) {
                assertThat(after.get(key))
                        .as("key %s was on %s, which is still there", key, replica)
                        .isEqualTo(replica);
            }
        });
        assertThat(moved).as("only hits-2's keys move").isEqualTo(keysPerReplica.get("hits-2"));
        System.out.printf(
                "hash: hits-2 taken out, %d of 300 keys moved (hits-2 had %d)%n", moved, keysPerReplica.get("hits-2"));

        LbStack.use(Algorithm.HASH, full);
        assertThat(replicaOfKeys(300)).as("they come back with it").isEqualTo(before);
    }

    private static Map<String, String> replicaOfKeys(int keys) {
        Map<String, String> replicaOf = new HashMap<>();
        for (int k = 0; k < keys; k++) {
            String key = "user-" + k;
            replicaOf.put(
                    key,
                    given().spec(page)
                            .header("X-Client-Id", key)
                            .when()
                            .get("/api/hits")
                            .then()
                            .statusCode(200)
                            .extract()
                            .header("X-Instance-Id"));
        }
        return replicaOf;
    }

    @Test
    void least_conn_sends_a_slow_replica_less_than_round_robin_does() throws Exception {
        // least_conn keeps the requests in flight about equal, so a replica's share goes as 1 / its latency:
        // with fast replicas at F ms and hits-3 at F + D, hits-3 gets 1 / (2 (F + D) / F + 1). The margin
        // is in D. With D = 40 ms a cold stack on a busy machine (F = 40-56 ms under stress-ng) gave
        // 19.6-24.3 %, over the limit; with D = 250 ms this assertion fails only once F passes ~170 ms.
        // Measured: idle 1-2 %, under `stress-ng --cpu 4 --io 1` 4-6 %; the limit is 16.7 %.
        Duration delay = Duration.ofMillis(250);
        int hits3 = LbStack.get().layout().replicaPorts().get(2);
        try (SlowProxy slow = SlowProxy.start(hits3, delay)) {
            Topology full = LbStack.get().layout().topology(Algorithm.ROUND_ROBIN);
            Topology slowHits3 = new Topology(
                    List.of(
                            full.replicas().get(0),
                            full.replicas().get(1),
                            new Replica("hits-3", "127.0.0.1", slow.port(), 1)),
                    Optional.empty());
            Map<String, Map<String, Long>> results = new TreeMap<>();
            // Round robin's rotation is exact, so fewer requests tell as much (and each third one waits D).
            Map<Algorithm, Integer> requests = Map.of(Algorithm.ROUND_ROBIN, 600, Algorithm.LEAST_CONN, 1500);
            for (Algorithm algorithm : List.of(Algorithm.ROUND_ROBIN, Algorithm.LEAST_CONN)) {
                LbStack.use(algorithm, slowHits3);
                List<Load.Answer> answers = Load.fixed(requests.get(algorithm), 12, i -> Load.page(LbStack.baseUrl()));
                Map<String, Long> counts = Load.byInstance(answers);
                System.out.print(Load.table(
                        algorithm + ", hits-3 answers " + delay.toMillis() + " ms late, 12 concurrent", counts));
                System.out.println("  mean latency: " + Load.meanMillisByInstance(answers));
                results.put(algorithm.id(), counts);
            }
            double roundRobin = share(results.get("round_robin"), "hits-3");
            double leastConn = share(results.get("least_conn"), "hits-3");
            assertThat(roundRobin).as("round robin ignores speed").isCloseTo(100.0 / 3, within(2.0));
            assertThat(leastConn)
                    .as("least_conn sends the slow replica clearly less")
                    .isLessThan(roundRobin / 2);
        }
    }
}
