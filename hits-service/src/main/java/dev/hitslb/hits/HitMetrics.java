package dev.hitslb.hits;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntSupplier;

/** The counting feature's metrics, on the instance's registry (served at /metrics). */
final class HitMetrics {
    final Counter hitsCounted;
    final Counter hitsReplayed;
    final Histogram batchSize;
    final Counter dbFailures;
    final Counter hitsInDoubt;
    final Counter hitsTooLate;
    final Counter cacheFailures;
    private final PrometheusRegistry registry;

    HitMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        hitsCounted = Counter.builder()
                .name("hits_counted_total")
                .help("Page loads counted")
                .register(registry);
        hitsReplayed = Counter.builder()
                .name("hits_replayed_total")
                .help("Page loads whose X-Request-Id was counted before (retries), not counted again")
                .register(registry);
        batchSize = Histogram.builder()
                .name("hits_batch_size")
                .help("Page loads recorded per durable commit")
                .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                .register(registry);
        dbFailures = Counter.builder()
                .name("hits_db_failures_total")
                .help("Batches that failed because PostgreSQL was unavailable")
                .register(registry);
        hitsInDoubt = Counter.builder()
                .name("hits_in_doubt_total")
                .help("Page loads answered 503 whose commit may still have succeeded (connection lost mid-statement)")
                .register(registry);
        hitsTooLate = Counter.builder()
                .name("hits_too_late_total")
                .help("Page loads not counted because nginx sent them longer ago than a third of"
                        + " REQUEST_ID_RETENTION_SECONDS (this process stalled)")
                .register(registry);
        cacheFailures = Counter.builder()
                .name("hits_cache_failures_total")
                .help("Redis operations that failed (the request still succeeded)")
                .register(registry);
    }

    /** hits_waiting: the page loads this instance holds right now, queued or in the statement on its way (its queue). */
    void waiting(IntSupplier waiting) {
        GaugeWithCallback.builder()
                .name("hits_waiting")
                .help("Page loads waiting for their batch to commit: queued, or in the statement on its way")
                .callback(callback -> callback.call(waiting.getAsInt()))
                .register(registry);
    }
}
