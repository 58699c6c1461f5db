package dev.hitslb.hits;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** This instance's Prometheus metrics: its own registry, so two apps in one JVM (tests) never mix. */
final class Metrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    final Counter hitsCounted = Counter.builder().name("hits_counted_total")
            .help("Page loads counted").register(registry);
    final Counter hitsReplayed = Counter.builder().name("hits_replayed_total")
            .help("Page loads whose X-Request-Id was counted before (retries), not counted again").register(registry);
    final Histogram batchSize = Histogram.builder().name("hits_batch_size")
            .help("Page loads recorded per durable commit")
            .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000).register(registry);
    final Counter dbFailures = Counter.builder().name("hits_db_failures_total")
            .help("Batches that failed because PostgreSQL was unavailable").register(registry);
    final Counter hitsInDoubt = Counter.builder().name("hits_in_doubt_total")
            .help("Page loads answered 503 whose commit may still have succeeded (connection lost mid-statement)")
            .register(registry);
    final Counter cacheFailures = Counter.builder().name("hits_cache_failures_total")
            .help("Redis operations that failed (the request still succeeded)").register(registry);
    final Counter responses = Counter.builder().name("http_responses_total")
            .help("HTTP responses by status").labelNames("status").register(registry);

    Metrics() {
        JvmMetrics.builder().register(registry);
    }

    /** Everything, in the Prometheus text format. */
    String scrape() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
            writer.write(out, registry.scrape());
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
