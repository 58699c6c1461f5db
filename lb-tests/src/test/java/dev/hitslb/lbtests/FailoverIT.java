package dev.hitslb.lbtests;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.lbtests.support.Specs;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.testing.Load;
import dev.hitslb.testing.Load.Answer;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replicas, Redis and PostgreSQL fail for real under steady load through nginx (round_robin). After
 * every scenario the total in PostgreSQL equals the number of 2xx answers the clients got, to the hit.
 */
class FailoverIT {
    private static final int CONCURRENCY = 8;
    /** nginx's fail_timeout: how long a failed replica is left out before nginx tries it again. */
    private static final Duration FAIL_TIMEOUT = Duration.ofSeconds(5);

    private LocalStack stack;
    private long totalBefore;

    @BeforeEach
    void roundRobinWithEverythingUp() {
        stack = LbStack.get();
        LbStack.use(Algorithm.ROUND_ROBIN);
        LbStack.restoreAll();
        totalBefore = LbStack.dbTotal();
    }

    @AfterEach
    void restore() {
        LbStack.restoreAll();
    }

    private void assertExactlyOnce(List<Answer> answers) {
        // A replica that was paused answers its backlog after nginx gave up on it; give it a moment.
        LbStack.sleep(Duration.ofMillis(500));
        assertThat(LbStack.dbTotal() - totalBefore)
                .as("total in PostgreSQL == 2xx answers (%s)", Load.summary(answers))
                .isEqualTo(Load.ok(answers));
    }

    private static void print(String title, List<Answer> answers) {
        System.out.print(Load.table(title, Load.byInstance(answers)));
        System.out.println("  " + Load.summary(answers));
    }

    /** Each scenario's frame: {@code scenario} runs after 1 s of steady load through nginx, then the load stops. */
    private static List<Answer> underSteadyLoad(String title, Runnable scenario) {
        return underLoad(title, Load.steady(LbStack.baseUrl(), CONCURRENCY), scenario);
    }

    /** As {@link #underSteadyLoad}, with a load of the test's own; the answers are printed under {@code title}. */
    private static List<Answer> underLoad(String title, Load load, Runnable scenario) {
        List<Answer> answers;
        try (load) {
            LbStack.sleep(Duration.ofSeconds(1));
            scenario.run();
            answers = load.stop();
        }
        print(title, answers);
        return answers;
    }

    @Test
    void a_killed_replica_costs_no_request_and_is_back_in_rotation_within_fail_timeout() {
        AtomicLong restarted = new AtomicLong();
        List<Answer> answers = underSteadyLoad("SIGKILL hits-2 under load, then start it", () -> {
            stack.kill("hits-2");
            LbStack.sleep(Duration.ofSeconds(2));
            stack.start("hits-2");
            restarted.set(System.nanoTime());
            LbStack.sleep(FAIL_TIMEOUT.plusSeconds(2));
        });

        assertThat(Load.failed(answers)).as(Load.summary(answers)).isEmpty();
        long backAfter = answers.stream()
                .filter(a -> a.instance().equals("hits-2") && a.sentNanos() > restarted.get())
                .mapToLong(a -> a.sentNanos() - restarted.get())
                .min()
                .orElse(Long.MAX_VALUE);
        assertThat(Duration.ofNanos(backAfter))
                .as("hits-2 serves again within fail_timeout + 1 s")
                .isLessThan(FAIL_TIMEOUT.plusSeconds(1));
        assertExactlyOnce(answers);
    }

    @Test
    void a_hung_replica_costs_no_request_and_no_wait_beyond_the_read_timeout() {
        List<Answer> answers = underSteadyLoad("SIGSTOP hits-3 for 4 s under load", () -> {
            stack.pause("hits-3");
            LbStack.sleep(Duration.ofSeconds(4));
            stack.resume("hits-3");
            LbStack.sleep(Duration.ofSeconds(1));
        });

        assertThat(Load.failed(answers)).as(Load.summary(answers)).isEmpty();
        // proxy_read_timeout (2 s) on the hung replica, then the answer of the next one.
        assertThat(Load.slowest(answers).toMillis()).as("slowest answer, ms").isLessThan(2_000 + 700);
        assertExactlyOnce(answers);
    }

    @Test
    void a_rolling_restart_costs_no_request() {
        List<Answer> answers = underSteadyLoad("rolling restart of hits-1, hits-2, hits-3 under load", () -> {
            for (String replica : List.of("hits-1", "hits-2", "hits-3")) {
                stack.stop(replica); // SIGTERM: finish in-flight requests, then exit
                stack.start(replica); // returns once /health/ready answers
                LbStack.sleep(Duration.ofMillis(500));
            }
            LbStack.sleep(Duration.ofMillis(500));
        });

        assertThat(Load.failed(answers)).as(Load.summary(answers)).isEmpty();
        assertExactlyOnce(answers);
    }

    @Test
    void with_every_replica_down_the_backup_answers_and_without_it_nginx_says_so_in_json() throws Exception {
        RequestSpecification page = Specs.page(LbStack.baseUrl());
        for (String replica : List.of("hits-1", "hits-2", "hits-3")) {
            stack.kill(replica);
        }
        Response backup = given().spec(page).get("/");
        assertThat(backup.statusCode()).as(backup.asString()).isEqualTo(200);
        assertThat(backup.header("X-Instance-Id")).isEqualTo("hits-backup");

        stack.kill("hits-backup");
        Response none = given().spec(page).get("/");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.header("Content-Type")).isEqualTo("application/json");
        assertThat(none.asString()).contains("\"error\":\"no replica is available", "\"instance\":\"nginx\"");
        System.out.println("\nevery replica down: hits-backup answered "
                + backup.asString().strip() + "; without it nginx: " + none.statusCode() + " "
                + none.asString().strip());
        assertThat(LbStack.dbTotal() - totalBefore)
                .as("the backup's page load, once")
                .isEqualTo(1);
    }

    @Test
    void redis_killed_under_load_costs_no_request() {
        List<Answer> answers = underSteadyLoad("SIGKILL Redis under load, then start it", () -> {
            stack.kill("redis");
            LbStack.sleep(Duration.ofSeconds(2));
            stack.start("redis");
            LbStack.sleep(Duration.ofSeconds(2));
        });

        assertThat(Load.failed(answers)).as(Load.summary(answers)).isEmpty();
        assertExactlyOnce(answers);
    }

    @Test
    void a_postgres_restart_under_load_gives_quick_503s_only_while_it_is_down() {
        AtomicLong stopped = new AtomicLong();
        AtomicLong started = new AtomicLong();
        List<Answer> answers = underSteadyLoad("PostgreSQL stopped for 2 s under load", () -> {
            stopped.set(System.nanoTime());
            stack.stop("postgres");
            LbStack.sleep(Duration.ofSeconds(2));
            stack.start("postgres");
            started.set(System.nanoTime());
            // While PostgreSQL was down every replica answered 503, and nginx counts those as failures: it
            // may answer its own 503 until fail_timeout has passed.
            LbStack.sleep(FAIL_TIMEOUT.plusSeconds(3));
        });

        assertThat(Load.failed(answers))
                .as("failures are 503s, answered quickly")
                .allSatisfy(a -> {
                    assertThat(a.status()).isEqualTo(503);
                    assertThat(a.micros()).isLessThan(TimeUnit.SECONDS.toMicros(2));
                });
        long recovered = started.get() + FAIL_TIMEOUT.plusSeconds(1).toNanos();
        assertThat(answers.stream().filter(a -> a.sentNanos() < stopped.get()))
                .allSatisfy(a -> assertThat(a.ok()).isTrue());
        assertThat(answers.stream().filter(a -> a.sentNanos() > recovered))
                .as("after PostgreSQL is back (+ fail_timeout)")
                .isNotEmpty()
                .allSatisfy(a -> assertThat(a.ok()).isTrue());
        assertExactlyOnce(answers);
    }

    /**
     * Exactly once end to end: a client that sends each page load with an Idempotency-Key of its own
     * and retries it with the same key after every 503 (in doubt or not) and every broken connection,
     * while PostgreSQL is SIGKILLed mid-commit and a replica is SIGKILLed, gets every page load
     * answered in the end, and the total grows by exactly its page loads: none lost, none twice.
     */
    @Test
    void a_client_retrying_with_its_idempotency_key_is_counted_exactly_once_through_kills() {
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        AtomicInteger retries = new AtomicInteger();
        List<Answer> answers = underLoad(
                "SIGKILL PostgreSQL and hits-2 under load; every page load retried with its key until answered",
                Load.steady(
                        CONCURRENCY,
                        i -> pageLoadUntilAnswered(client, UUID.randomUUID().toString(), retries)),
                () -> {
                    stack.kill("postgres");
                    stack.kill("hits-2");
                    LbStack.sleep(Duration.ofSeconds(2));
                    stack.start("postgres");
                    stack.start("hits-2");
                    LbStack.sleep(Duration.ofSeconds(2));
                });
        System.out.println("  retries: " + retries.get());
        assertThat(retries.get())
                .as("the kills cost some answers, so the client had to retry")
                .isPositive();
        assertThat(Load.failed(answers))
                .as("every page load answered in the end")
                .isEmpty();
        assertThat(LbStack.dbTotal() - totalBefore)
                .as("total in PostgreSQL == distinct page loads")
                .isEqualTo(answers.size());
    }

    /** One page load: sent with {@code key}, and again with the same key after a 503 or no answer, for at most 30 s. */
    private static Answer pageLoadUntilAnswered(HttpClient client, String key, AtomicInteger retries) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(LbStack.baseUrl() + "/"))
                .header("Accept", "application/json")
                .header("Idempotency-Key", key)
                .timeout(Duration.ofSeconds(5))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Answer answer = Load.send(client, request, response -> {});
            if (answer.ok() || System.nanoTime() > deadline || (answer.status() != 503 && answer.status() != 0)) {
                return answer;
            }
            retries.incrementAndGet();
            LbStack.sleep(Duration.ofMillis(200));
        }
    }

    /**
     * PostgreSQL stopped, then hung: a page load through nginx gets its 503 within a second (the HTTP
     * contract), though nginx takes it to every replica and the backup before it gives up. So each
     * replica must already know the database is down, not find out by waiting for it in turn.
     */
    @Test
    void with_postgres_stopped_or_hung_a_page_load_through_nginx_gets_its_503_within_a_second() {
        firstAnswersWithin(Duration.ofSeconds(1), "stopped", () -> stack.stop("postgres"));
        LbStack.restoreAll();
        firstAnswersWithin(Duration.ofSeconds(1), "hung (SIGSTOP)", () -> stack.pause("postgres"));
    }

    private static void firstAnswersWithin(Duration limit, String how, Runnable breakIt) {
        assertThat(Load.failed(Load.fixed(40, 4, i -> Load.page(LbStack.baseUrl()))))
                .as("before")
                .isEmpty();
        breakIt.run();
        List<Answer> answers = Load.fixed(3, 1, i -> Load.page(LbStack.baseUrl()));
        System.out.printf(
                "PostgreSQL %s: the next page loads through nginx took %s ms: %s%n",
                how, answers.stream().map(a -> Long.toString(a.micros() / 1000)).toList(), Load.summary(answers));
        assertThat(answers).as("page loads right after PostgreSQL was %s", how).allSatisfy(a -> {
            assertThat(a.status()).isEqualTo(503);
            assertThat(a.micros()).as("microseconds").isLessThan(limit.toNanos() / 1000);
        });
    }
}
