package dev.hitslb.hits;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The counting feature's metrics, on the instance's registry (served at /metrics). */
final class HitMetrics {
    final Counter hitsCounted;
    final Counter hitsReplayed;
    final Histogram batchSize;
    final Counter dbFailures;
    final Counter hitsInDoubt;
    final Counter cacheFailures;

    HitMetrics(PrometheusRegistry registry) {
        hitsCounted = Counter.builder().name("hits_counted_total")
                .help("Page loads counted").register(registry);
        hitsReplayed = Counter.builder().name("hits_replayed_total")
                .help("Page loads whose X-Request-Id was counted before (retries), not counted again").register(registry);
        batchSize = Histogram.builder().name("hits_batch_size")
                .help("Page loads recorded per durable commit")
                .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000).register(registry);
        dbFailures = Counter.builder().name("hits_db_failures_total")
                .help("Batches that failed because PostgreSQL was unavailable").register(registry);
        hitsInDoubt = Counter.builder().name("hits_in_doubt_total")
                .help("Page loads answered 503 whose commit may still have succeeded (connection lost mid-statement)")
                .register(registry);
        cacheFailures = Counter.builder().name("hits_cache_failures_total")
                .help("Redis operations that failed (the request still succeeded)").register(registry);
    }
}
