package dev.hitslb.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The tests' one load generator, for a replica (hits-service's suites) or for nginx (lb-tests): a fixed
 * number of requests, or steady until stopped, {@code concurrency} clients at a time on virtual threads.
 * Every answer is kept (when it was sent, status, latency, the instance that served it, body), so a test
 * can ask what happened in any window of time. It sends with the JDK's HttpClient: REST Assured and
 * javalin-testtools, which the tests use for the single requests they assert on, are not made for
 * thousands of concurrent requests.
 */
public final class Load implements AutoCloseable {
    /** One answer; status 0 means no HTTP answer at all (refused, reset, timed out). */
    public record Answer(long sentNanos, int status, long micros, String instance, String body) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    private static final HttpClient ONE_BY_ONE = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** How long a fixed run may take: far beyond any suite's, so only a hung server meets it. */
    private static final Duration FIXED_RUN_LIMIT = Duration.ofMinutes(10);

    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean aborted = new AtomicBoolean();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Load() {}

    /** {@code concurrency} clients sending GET / until {@link #stop()}. */
    public static Load steady(String baseUrl, int concurrency) {
        Load load = new Load();
        return load.steadily(concurrency, i -> load.sendAndKeep(page(baseUrl), answer -> {}));
    }

    /**
     * {@code concurrency} clients making call {@code i} (0, 1, 2, ...) until {@link #stop()}; each call
     * sends one request its own way (a source address, a cookie) and returns its answer.
     */
    public static Load steady(int concurrency, IntFunction<Answer> call) {
        Load load = new Load();
        return load.steadily(concurrency, i -> load.answers.add(call.apply(i)));
    }

    private Load steadily(int concurrency, IntConsumer call) {
        AtomicInteger next = new AtomicInteger();
        for (int c = 0; c < concurrency; c++) {
            workers.submit(() -> {
                while (running.get()) {
                    keepingFailures(call, next.getAndIncrement());
                }
            });
        }
        return this;
    }

    /**
     * Makes call {@code i}; if it throws (a bad request, a failed check in a callback), that is a status-0
     * answer, never a worker that quietly stops; the worker pauses a little, so a call that always throws
     * does not spin.
     */
    private void keepingFailures(IntConsumer call, int i) {
        long started = System.nanoTime();
        try {
            call.accept(i);
        } catch (Throwable e) {
            answers.add(new Answer(started, 0, (System.nanoTime() - started) / 1000, "?", "call " + i + ": " + e));
            try {
                Thread.sleep(20);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code n} requests made by {@code request}, {@code concurrency} at a time; returns when all are answered. */
    public static List<Answer> fixed(int n, int concurrency, IntFunction<HttpRequest> request) {
        return fixed(n, concurrency, request, answer -> {});
    }

    /** As {@link #fixed(int, int, IntFunction)}, handing each answer to {@code onAnswer} as it arrives. */
    public static List<Answer> fixed(
            int n, int concurrency, IntFunction<HttpRequest> request, Consumer<Answer> onAnswer) {
        try (Load load = new Load()) {
            return load.runCalls(n, concurrency, i -> load.sendAndKeep(request.apply(i), onAnswer));
        }
    }

    /** {@code n} calls as {@link #steady(int, IntFunction)} makes them, {@code concurrency} at a time; returns when all are answered. */
    public static List<Answer> calls(int n, int concurrency, IntFunction<Answer> call) {
        try (Load load = new Load()) {
            return load.runCalls(n, concurrency, i -> load.answers.add(call.apply(i)));
        }
    }

    private List<Answer> runCalls(int n, int concurrency, IntConsumer call) {
        AtomicInteger next = new AtomicInteger();
        for (int c = 0; c < concurrency; c++) {
            workers.submit(() -> {
                for (int i = next.getAndIncrement(); i < n && !aborted.get(); i = next.getAndIncrement()) {
                    keepingFailures(call, i);
                }
            });
        }
        running.set(false);
        List<Answer> all = awaitWorkers(FIXED_RUN_LIMIT);
        if (all.size() != n) {
            throw new IllegalStateException(n + " calls made, " + all.size() + " answers kept");
        }
        return all;
    }

    /**
     * A page load of {@code baseUrl}'s / through nginx, as JSON; given up after 15 s, as nginx may try
     * every replica in turn (up to proxy_next_upstream_timeout) before it answers.
     */
    public static HttpRequest page(String baseUrl) {
        return page(URI.create(baseUrl + "/"), null, Duration.ofSeconds(15));
    }

    /** A page load of a replica's {@code uri} as JSON, with {@code requestId} as its X-Request-Id unless null; given up after 10 s. */
    public static HttpRequest page(URI uri, String requestId) {
        return page(uri, requestId, Duration.ofSeconds(10));
    }

    private static HttpRequest page(URI uri, String requestId, Duration timeout) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(uri).header("Accept", "application/json").timeout(timeout);
        if (requestId != null) {
            builder.header("X-Request-Id", requestId);
        }
        return builder.GET().build();
    }

    /**
     * One GET of {@code uri}, given up after {@code timeout}: for polling a server this JVM did not start
     * until it is ready (a test asserts on single answers with REST Assured or javalin-testtools).
     */
    public static Answer get(URI uri, Duration timeout) {
        return send(ONE_BY_ONE, HttpRequest.newBuilder(uri).timeout(timeout).build(), response -> {});
    }

    private void sendAndKeep(HttpRequest request, Consumer<Answer> onAnswer) {
        Answer answer = send(client, request, response -> {});
        onAnswer.accept(answer);
        answers.add(answer);
    }

    /** Sends {@code request} through {@code client}; {@code seen} sees the response (headers, e.g. a cookie) first. */
    public static Answer send(HttpClient client, HttpRequest request, Consumer<HttpResponse<String>> seen) {
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            seen.accept(response);
            return new Answer(
                    sent,
                    response.statusCode(),
                    (System.nanoTime() - sent) / 1000,
                    response.headers().firstValue("X-Instance-Id").orElse("?"),
                    response.body());
        } catch (Exception e) {
            return new Answer(sent, 0, (System.nanoTime() - sent) / 1000, "?", e.toString());
        }
    }

    /**
     * Milliseconds from {@code after} (a {@link System#nanoTime()}) until the first 2xx from {@code instance}
     * sent after it; stops the load and fails, with what was answered, when none came within {@code timeout}.
     */
    public long awaitServed(String instance, long after, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Answer> first = answers().stream()
                    .filter(a -> a.ok() && a.instance().equals(instance) && a.sentNanos() >= after)
                    .min(Comparator.comparingLong(Answer::sentNanos));
            if (first.isPresent()) {
                return (first.get().sentNanos() - after) / 1_000_000;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Answer> all = stop();
        throw new AssertionError(instance + " got no traffic within " + timeout.toSeconds() + " s: " + summary(all)
                + "\n" + table("answers", byInstance(all)));
    }

    /** Everything answered so far. */
    public List<Answer> answers() {
        return List.copyOf(answers);
    }

    /** Stops sending, waits for the requests in flight, and returns every answer. */
    public List<Answer> stop() {
        running.set(false);
        return awaitWorkers(Duration.ofSeconds(60));
    }

    /** Waits for the workers to finish; after {@code limit} it ends them and their requests, and fails. */
    private List<Answer> awaitWorkers(Duration limit) {
        workers.shutdown();
        boolean finished;
        try {
            finished = workers.awaitTermination(limit.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (!finished) {
            aborted.set(true); // calls through clients of their own: no new ones after this
            workers.shutdownNow();
            client.shutdownNow();
            throw new IllegalStateException("requests still in flight " + limit.toSeconds() + " s after the load"
                    + " stopped sending; ended. " + summary(List.copyOf(answers)));
        }
        client.shutdownNow(); // nothing is in flight any more
        return List.copyOf(answers);
    }

    @Override
    public void close() {
        if (!workers.isShutdown()) {
            stop();
        }
    }

    public static long ok(List<Answer> answers) {
        return answers.stream().filter(Answer::ok).count();
    }

    public static List<Answer> failed(List<Answer> answers) {
        return answers.stream().filter(Predicate.not(Answer::ok)).toList();
    }

    /** How many answers had {@code status}. */
    public static long count(List<Answer> answers, int status) {
        return answers.stream().filter(a -> a.status() == status).count();
    }

    /** Answers per status, in status order. */
    public static Map<Integer, Long> statuses(List<Answer> answers) {
        return answers.stream().collect(Collectors.groupingBy(Answer::status, TreeMap::new, Collectors.counting()));
    }

    /** Answers per instance, in name order. */
    public static Map<String, Long> byInstance(List<Answer> answers) {
        return answers.stream()
                .filter(Answer::ok)
                .collect(Collectors.groupingBy(Answer::instance, TreeMap::new, Collectors.counting()));
    }

    /** Mean latency of the 2xx answers per instance, in whole milliseconds, in name order. */
    public static Map<String, Long> meanMillisByInstance(List<Answer> answers) {
        return answers.stream()
                .filter(Answer::ok)
                .collect(Collectors.groupingBy(
                        Answer::instance,
                        TreeMap::new,
                        Collectors.collectingAndThen(
                                Collectors.averagingLong(Answer::micros), us -> Math.round(us / 1000))));
    }

    /** The latency of the slowest answer, whatever its status. */
    public static Duration slowest(List<Answer> answers) {
        return Duration.ofNanos(answers.stream().mapToLong(Answer::micros).max().orElse(0) * 1000);
    }

    /** The median latency of the answers with {@code status}. */
    public static Duration median(List<Answer> answers, int status) {
        long[] sorted = answers.stream()
                .filter(a -> a.status() == status)
                .mapToLong(Answer::micros)
                .sorted()
                .toArray();
        return Duration.ofNanos(sorted.length == 0 ? 0 : sorted[sorted.length / 2] * 1000);
    }

    /** A per-instance table for the log, so a person sees the distribution a test asserted. */
    public static String table(String title, Map<String, Long> counts) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder out = new StringBuilder("\n" + title + " (" + total + " answers)\n");
        counts.forEach((instance, n) -> {
            double share = 100.0 * n / Math.max(1, total);
            out.append(String.format(
                    "  %-12s %6d  %5.1f%%  %s%n", instance, n, share, "#".repeat((int) Math.round(share / 2))));
        });
        return out.toString();
    }

    public static String summary(List<Answer> answers) {
        return "statuses " + statuses(answers) + ", slowest " + slowest(answers).toMillis() + " ms"
                + failed(answers).stream()
                        .limit(3)
                        .map(a -> "\n  e.g. " + a.status() + " " + a.body().strip())
                        .collect(Collectors.joining());
    }
}
