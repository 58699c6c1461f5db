package dev.hitslb.platform;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * This instance's Prometheus metrics: its own registry, so two apps in one JVM (tests) never mix.
 * It holds the JVM's metrics and {@code http_responses_total}; a feature registers its own on {@link #registry()}.
 */
public final class Metrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    final Counter responses = Counter.builder()
            .name("http_responses_total")
            .help("HTTP responses by status")
            .labelNames("status")
            .register(registry);

    public Metrics() {
        JvmMetrics.builder().register(registry);
    }

    /** Where a feature registers its own metrics. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Everything, in the Prometheus text format. */
    String scrape() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
            writer.write(out, registry.scrape());
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
