package dev.hitslb.lbtests;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.lbtests.support.Specs;
import dev.hitslb.servers.Commands;
import dev.hitslb.servers.Ports;
import dev.hitslb.testing.Load;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.filter.cookie.CookieFilter;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * compose.yaml and hits-service/Dockerfile as committed, on a real Docker engine, driven as a user
 * drives them: {@code docker compose up --build --wait}, the README's curl loop, /live, every algorithm
 * with {@code LB_ALGORITHM}, replicas killed, paused and recreated at a new address under load,
 * PostgreSQL restarted and Redis killed under load, the volume kept by {@code down} and dropped by
 * {@code down -v}. Needs an engine: {@code tools/docker-engine up} (stand-in images where no registry is
 * reachable), then {@code eval "$(tools/docker-engine env)"}; without one every test fails, saying so.
 * Its own CI step (-Dit.test=ComposeEngineIT); the project name and port are its own, so a user's
 * `docker compose up` of this repository is not touched.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeEngineIT {
    private static final Path ROOT =
            Path.of(System.getProperty("hits.root", "..")).toAbsolutePath().normalize();
    private static final String PROJECT = "hitslb-engine-it";
    private static final List<String> REPLICAS = List.of("hits-1", "hits-2", "hits-3");
    private static final int LOAD_CLIENTS = 8;
    private static final Duration SERVE_AGAIN_TIMEOUT = Duration.ofSeconds(30);
    /** nginx's fail_timeout: how long a replica that failed is left out. */
    private static final Duration FAIL_TIMEOUT = Duration.ofSeconds(5);

    private static final int PORT = Ports.free();
    private static final String BASE_URL = "http://127.0.0.1:" + PORT;
    /** Through nginx, as a browser asks (nginx's own pages); {@link #page}: as an API client, in JSON. */
    private static RequestSpecification nginx;

    private static RequestSpecification page;

    @BeforeAll
    static void compose_up_build_wait() {
        try {
            Commands.run(List.of("docker", "info", "--format", "{{.ServerVersion}}"), Map.of(), Duration.ofSeconds(20));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(
                    "ComposeEngineIT needs a Docker engine: tools/docker-engine up, then "
                            + "eval \"$(tools/docker-engine env)\" (or start your own Docker). " + e.getMessage(),
                    e);
        }
        System.out.println("Docker "
                + docker("version", "--format", "Engine {{.Server.Version}}, client {{.Client.Version}}")
                        .strip() + "; "
                + compose(Duration.ofSeconds(20), "version").strip());
        compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
        long t0 = System.nanoTime();
        compose(Duration.ofMinutes(20), "up", "--build", "--wait");
        System.out.printf("docker compose up --build --wait: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        nginx = Specs.to(BASE_URL).build();
        page = Specs.page(BASE_URL);
    }

    @AfterAll
    static void compose_down() {
        compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
    }

    @Test
    @Order(1)
    void up_answers_the_readme_curl_loop_and_every_container_is_healthy() {
        long first = total();
        List<String> instances = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            JsonPath answer = given().spec(page)
                    .when()
                    .get("/")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            assertThat(answer.getLong("hits")).as("page load %d counts one", i).isEqualTo(first + i);
            instances.add(answer.getString("instance"));
        }
        assertThat(instances.subList(0, 3))
                .as("round robin: each replica in turn")
                .containsExactlyInAnyOrderElementsOf(REPLICAS);
        assertThat(instances.subList(3, 6)).isEqualTo(instances.subList(0, 3));

        given().spec(nginx).when().get("/live/").then().statusCode(200).contentType("text/html");
        assertThat(algorithmOnLive()).isEqualTo("round_robin");

        Map<String, String> health = new TreeMap<>();
        for (String line : compose(Duration.ofSeconds(30), "ps", "--format", "{{.Service}} {{.State}} {{.Health}}")
                .strip()
                .split("\n")) {
            String[] f = line.split(" ", 2);
            health.put(f[0], f[1]);
        }
        assertThat(health)
                .as("docker compose ps")
                .containsOnlyKeys("postgres", "redis", "hits-1", "hits-2", "hits-3", "hits-backup", "nginx");
        health.forEach((service, state) -> assertThat(state).as(service).isEqualTo("running healthy"));
        assertThat(docker("images", "--format", "{{.Repository}}:{{.Tag}}", "hits-lb/hits-service")
                        .strip())
                .as("one image for the four replicas")
                .isEqualTo("hits-lb/hits-service:local");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    @Order(2)
    void each_algorithm_is_picked_by_LB_ALGORITHM_and_keeps_its_promise(Algorithm algorithm) {
        use(algorithm);
        assertThat(algorithmOnLive()).isEqualTo(algorithm.id());
        switch (algorithm) {
            case ROUND_ROBIN ->
                REPLICAS.forEach(r -> assertThat(sequential(300).get(r)).as(r).isEqualTo(100L));
            case WEIGHTED -> {
                Map<String, Long> counts = sequential(500);
                assertThat(share(counts, "hits-1")).isCloseTo(60.0, within(3.0));
                assertThat(share(counts, "hits-2")).isCloseTo(20.0, within(3.0));
            }
            // One request at a time, both behave as round robin or random; each replica gets some.
            case LEAST_CONN, RANDOM ->
                REPLICAS.forEach(
                        r -> assertThat(share(sequential(300), r)).as(r).isGreaterThan(15.0));
            case HASH -> {
                Map<String, String> home = clients(
                        40,
                        key -> new RequestSpecBuilder()
                                .addRequestSpecification(page)
                                .addHeader("X-Client-Id", key)
                                .build());
                assertThat(perReplica(home).keySet())
                        .as("keys spread over the replicas")
                        .containsExactlyElementsOf(REPLICAS);
            }
            case STICKY -> {
                // A client of its own: a cookie jar that keeps what nginx sets, as a browser does.
                Map<String, String> home = clients(
                        30,
                        key -> new RequestSpecBuilder()
                                .addRequestSpecification(page)
                                .addFilter(new CookieFilter())
                                .build());
                assertThat(perReplica(home).keySet())
                        .as("new clients are balanced, then stay")
                        .containsExactlyElementsOf(REPLICAS);
            }
            case IP_HASH -> ipHashFromContainers();
        }
    }

    /**
     * Clients in containers of their own on the compose network, each with its own address: every
     * client keeps one replica. nginx's ip_hash keys on the first three octets, and one compose network
     * is one /24, so they all share that replica: what a user sees (docs/load-balancing.md).
     */
    private static void ipHashFromContainers() {
        String network = PROJECT + "_default";
        Map<String, String> replicaOf = new TreeMap<>();
        for (int c = 1; c <= 3; c++) {
            String out = docker(
                    "run",
                    "--rm",
                    "--network",
                    network,
                    "busybox:1.37.0",
                    "sh",
                    "-c",
                    "hostname -i; for i in 1 2 3 4 5; do wget -q -S -O /dev/null http://nginx/ 2>&1 | grep -i x-instance-id; done");
            String[] lines = out.strip().split("\n");
            List<String> seen = IntStream.range(1, lines.length)
                    .mapToObj(i ->
                            lines[i].replaceAll("(?i).*x-instance-id: *", "").strip())
                    .distinct()
                    .toList();
            assertThat(seen).as("client %s (%s)", c, lines[0]).hasSize(1);
            replicaOf.put("client " + c + " at " + lines[0].strip(), seen.get(0));
        }
        System.out.println("ip_hash: client -> replica " + replicaOf);
    }

    @Test
    @Order(3)
    void replicas_killed_paused_and_recreated_at_a_new_address_cost_no_request_and_no_count() {
        use(Algorithm.ROUND_ROBIN);
        long before = total();
        List<Load.Answer> answers;
        String oldAddress = address("hits-1");
        String newAddress;
        try (Load load = Load.steady(BASE_URL, LOAD_CLIENTS)) {
            LbStack.sleep(Duration.ofSeconds(1));
            compose(Duration.ofSeconds(30), "kill", "hits-2");
            LbStack.sleep(Duration.ofSeconds(2));
            long started = System.nanoTime();
            compose(Duration.ofSeconds(60), "start", "hits-2");
            System.out.printf(
                    "hits-2 killed and started: serves again %d ms after start%n",
                    load.awaitServed("hits-2", started, SERVE_AGAIN_TIMEOUT));

            compose(Duration.ofSeconds(30), "pause", "hits-3");
            LbStack.sleep(Duration.ofSeconds(3));
            compose(Duration.ofSeconds(30), "unpause", "hits-3");

            // Recreated elsewhere: its old address taken by another container first, so it cannot get it back.
            compose(Duration.ofSeconds(60), "rm", "--stop", "--force", "hits-1");
            docker(
                    "run",
                    "-d",
                    "--rm",
                    "--network",
                    PROJECT + "_default",
                    "--name",
                    PROJECT + "-occupant",
                    "busybox:1.37.0",
                    "sleep",
                    "120");
            long recreated = System.nanoTime();
            compose(Duration.ofMinutes(2), "up", "-d", "--wait", "--no-deps", "hits-1");
            newAddress = address("hits-1");
            System.out.printf(
                    "hits-1 recreated at %s (was %s): serves again %d ms after up%n",
                    newAddress, oldAddress, load.awaitServed("hits-1", recreated, SERVE_AGAIN_TIMEOUT));
            LbStack.sleep(Duration.ofSeconds(2));
            answers = load.stop();
        } finally {
            docker("rm", "-f", PROJECT + "-occupant");
        }
        System.out.print(Load.table("kill/start hits-2, pause hits-3, recreate hits-1", Load.byInstance(answers)));
        assertThat(newAddress).as("hits-1's address").isNotEqualTo(oldAddress);
        assertThat(Load.failed(answers)).as(Load.summary(answers)).isEmpty();
        assertThat(total() - before)
                .as("the total grew by the page loads answered 2xx")
                .isEqualTo(Load.ok(answers));
    }

    @Test
    @Order(4)
    void postgres_restarted_and_redis_killed_under_load_answer_as_promised_and_count_exactly() {
        use(Algorithm.ROUND_ROBIN);
        long before = total();
        List<Load.Answer> answers;
        try (Load load = Load.steady(BASE_URL, LOAD_CLIENTS)) {
            LbStack.sleep(Duration.ofSeconds(1));
            compose(Duration.ofMinutes(1), "restart", "postgres");
            compose(Duration.ofSeconds(30), "kill", "redis");
            LbStack.sleep(Duration.ofSeconds(2));
            compose(Duration.ofMinutes(1), "start", "redis");
            // While PostgreSQL was away every replica answered 503, which nginx counts as failures: it
            // leaves them out for fail_timeout (5 s) and answers its own 503 meanwhile.
            long recovered = System.nanoTime() + FAIL_TIMEOUT.plusSeconds(1).toNanos();
            LbStack.sleep(FAIL_TIMEOUT.plusSeconds(4));
            answers = load.stop();
            assertThat(answers.stream()
                            .filter(a -> a.sentNanos() > recovered)
                            .filter(a -> !a.ok())
                            .toList())
                    .as("fail_timeout + 1 s after PostgreSQL and Redis are back, every page load is answered")
                    .isEmpty();
        }
        System.out.println("PostgreSQL restarted, Redis killed and started: " + Load.summary(answers));
        // docs/counting.md#postgresql-down promises it: PostgreSQL unreachable is a JSON 503 within 1 s, never a hang
        // or a 502.
        Load.failed(answers).forEach(a -> {
            assertThat(a.status()).as("%s", a.body()).isEqualTo(503);
            assertThat(a.body()).contains("\"error\"");
            assertThat(a.micros()).isLessThan(2_000_000);
        });
        assertThat(total() - before)
                .as("the total grew by the page loads answered 2xx")
                .isEqualTo(Load.ok(answers));
    }

    @Test
    @Order(5)
    void down_keeps_the_count_in_its_volume_and_down_v_drops_it() {
        use(Algorithm.ROUND_ROBIN);
        given().spec(page).when().get("/").then().statusCode(200);
        long total = total();
        Set<String> volumes = volumes();
        compose(Duration.ofMinutes(2), "down");
        compose(Duration.ofMinutes(5), "up", "-d", "--wait");
        assertThat(totalThroughNginx()).as("after down and up").isEqualTo(total);
        compose(Duration.ofMinutes(2), "down", "-v");
        compose(Duration.ofMinutes(5), "up", "-d", "--wait");
        assertThat(totalThroughNginx()).as("after down -v and up").isZero();
        // An image's VOLUME that compose.yaml does not mount (redis:/data) leaks one anonymous volume per
        // container: `down` keeps it, the next `up` makes another.
        assertThat(volumes())
                .as("volumes after down, up, down -v, up: none new")
                .isSubsetOf(volumes);
    }

    private static Set<String> volumes() {
        return Set.copyOf(docker("volume", "ls", "-q").lines().toList());
    }

    @Test
    @Order(6)
    void the_loadtest_profile_is_valid_compose() {
        // k6 itself is not run here (AGPL: this project never fetches it); its service must still be valid.
        String config = compose(Duration.ofSeconds(30), "--profile", "loadtest", "config");
        assertThat(config).contains("grafana/k6:").contains("/scripts");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static String compose(Duration timeout, String... args) {
        return composeWith(Map.of(), timeout, args);
    }

    /**
     * docker compose ARGS. When an {@code up} fails, the error carries what a user would look at next:
     * every container's state and the last lines of each one's log.
     */
    private static String composeWith(Map<String, String> env, Duration timeout, String... args) {
        try {
            return run(env, timeout, args);
        } catch (IllegalStateException e) {
            if (!List.of(args).contains("up")) {
                throw e;
            }
            // What a user looks at next; if even that fails (the engine gone), the first failure still shows.
            String diagnosis;
            try {
                diagnosis = "\n--- docker compose ps -a\n"
                        + run(
                                Map.of(),
                                Duration.ofSeconds(30),
                                "ps",
                                "-a",
                                "--format",
                                "table {{.Service}}\t{{.State}}\t{{.Status}}")
                        + "--- docker compose logs --tail 30\n"
                        + run(Map.of(), Duration.ofSeconds(30), "logs", "--no-color", "--tail", "30");
            } catch (IllegalStateException unavailable) {
                e.addSuppressed(unavailable);
                throw e;
            }
            throw new IllegalStateException(e.getMessage() + diagnosis, e);
        }
    }

    private static String run(Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(
                "docker",
                "compose",
                "--project-directory",
                ROOT.toString(),
                "-f",
                ROOT.resolve("compose.yaml").toString(),
                "-p",
                PROJECT));
        command.addAll(List.of(args));
        Map<String, String> all = new TreeMap<>(env);
        all.put("LB_PORT", Integer.toString(PORT));
        return Commands.run(command, all, timeout);
    }

    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return Commands.run(command, Map.of(), Duration.ofMinutes(2));
    }

    /** Switches nginx to ALGORITHM as a user does: compose recreates nginx with the other config. */
    private static void use(Algorithm algorithm) {
        composeWith(Map.of("LB_ALGORITHM", algorithm.id()), Duration.ofMinutes(3), "up", "-d", "--wait");
    }

    private static String algorithmOnLive() {
        return given().spec(nginx)
                .when()
                .get("/live/lb.json")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getString("algorithm");
    }

    /** The total as a client reads it: GET /api/hits through nginx. */
    private static long totalThroughNginx() {
        return given().spec(page)
                .when()
                .get("/api/hits")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getLong("hits");
    }

    /** The total in PostgreSQL, as its superuser sees it inside the container. */
    private static long total() {
        return Long.parseLong(compose(
                        Duration.ofSeconds(30),
                        "exec",
                        "-T",
                        "postgres",
                        "psql",
                        "-U",
                        "postgres",
                        "-d",
                        "hits",
                        "-tAc",
                        "SELECT hits FROM hit_counter")
                .strip());
    }

    private static String address(String service) {
        String id = compose(Duration.ofSeconds(30), "ps", "-q", service).strip();
        return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id)
                .strip();
    }

    /** N page loads one after another: answers per instance. */
    private static Map<String, Long> sequential(int n) {
        Map<String, Long> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(
                    given().spec(page)
                            .when()
                            .get("/")
                            .then()
                            .statusCode(200)
                            .extract()
                            .header("X-Instance-Id"),
                    1L,
                    Long::sum);
        }
        System.out.print(Load.table(n + " page loads one at a time", counts));
        return counts;
    }

    private static double share(Map<String, Long> counts, String instance) {
        return 100.0
                * counts.getOrDefault(instance, 0L)
                / counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** N clients (client-0, client-1, ...) of five page loads each, as {@code client} makes them; each must keep one replica. */
    private static Map<String, String> clients(int n, Function<String, RequestSpecification> client) {
        Map<String, String> home = new TreeMap<>();
        for (int c = 0; c < n; c++) {
            String key = "client-" + c;
            RequestSpecification spec = client.apply(key);
            List<String> seen = IntStream.range(0, 5)
                    .mapToObj(i -> given().spec(spec)
                            .when()
                            .get("/")
                            .then()
                            .statusCode(200)
                            .extract()
                            .header("X-Instance-Id"))
                    .distinct()
                    .toList();
            assertThat(seen).as(key).hasSize(1);
            home.put(key, seen.get(0));
        }
        System.out.print(Load.table(n + " clients per replica", perReplica(home)));
        return home;
    }

    private static Map<String, Long> perReplica(Map<String, String> home) {
        return home.values().stream()
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }
}
