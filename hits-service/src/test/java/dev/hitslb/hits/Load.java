package dev.hitslb.hits;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/** A bounded load generator for the tests: a fixed number of requests, a fixed concurrency. */
final class Load {
    private Load() {}

    /** What came back: status counts (0 = no response), bodies of 2xx answers, each answer's latency by status. */
    record Result(Map<Integer, Integer> statuses, List<String> okBodies, Map<Integer, List<Duration>> latencies) {
        int count(int status) {
            return statuses.getOrDefault(status, 0);
        }

        Duration slowest() {
            return latencies.values().stream()
                    .flatMap(List::stream)
                    .max(Duration::compareTo)
                    .orElse(Duration.ZERO);
        }

        /** The median latency of the answers with {@code status}. */
        Duration median(int status) {
            List<Duration> sorted =
                    latencies.getOrDefault(status, List.of()).stream().sorted().toList();
            return sorted.isEmpty() ? Duration.ZERO : sorted.get(sorted.size() / 2);
        }

        int ok() {
            return statuses.entrySet().stream()
                    .filter(e -> e.getKey() / 100 == 2)
                    .mapToInt(Map.Entry::getValue)
                    .sum();
        }

        int notOk() {
            return statuses.values().stream().mapToInt(Integer::intValue).sum() - ok();
        }
    }

    /** Sends {@code requests.apply(i)} for i in [0, n), at most {@code concurrency} at once, and waits for all. */
    static Result run(int n, int concurrency, IntFunction<HttpRequest> requests) {
        return run(n, concurrency, requests, body -> {});
    }

    /** As {@link #run(int, int, IntFunction)}, handing each 2xx body to {@code onOk} as it arrives. */
    static Result run(int n, int concurrency, IntFunction<HttpRequest> requests, Consumer<String> onOk) {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
        Map<Integer, Queue<Duration>> latencies = new ConcurrentHashMap<>();
        Semaphore slots = new Semaphore(concurrency);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                HttpRequest request = requests.apply(i);
                slots.acquireUninterruptibly();
                pool.submit(() -> {
                    long start = System.nanoTime();
                    int status;
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        status = response.statusCode();
                        if (status / 100 == 2) {
                            bodies.add(response.body());
                            onOk.accept(response.body());
                        }
                    } catch (Exception e) {
                        status = 0;
                    } finally {
                        slots.release();
                    }
                    latencies
                            .computeIfAbsent(status, k -> new ConcurrentLinkedQueue<>())
                            .add(Duration.ofNanos(System.nanoTime() - start));
                    statuses.merge(status, 1, Integer::sum);
                });
            }
        }
        Map<Integer, List<Duration>> byStatus = new TreeMap<>();
        latencies.forEach((status, queue) -> byStatus.put(status, List.copyOf(queue)));
        return new Result(Map.copyOf(statuses), List.copyOf(bodies), byStatus);
    }

    static HttpRequest get(URI uri, String requestId) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Accept", "application/json");
        if (requestId != null) {
            builder.header("X-Request-Id", requestId);
        }
        return builder.GET().build();
    }

    /** The "hits" number of a JSON body. */
    static long hits(String json) {
        return Long.parseLong(json.replaceAll(".*\"hits\":(\\d+).*", "$1"));
    }
}
