package dev.hitslb.hits;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.Map;

/** Liveness and readiness probes. They never count as hits. */
final class HealthHandler {
    /** A probe must answer quickly even when PostgreSQL hangs. */
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

    private final String instanceId;
    private final HitRepository repository;
    private final HitCache cache;

    HealthHandler(String instanceId, HitRepository repository, HitCache cache) {
        this.instanceId = instanceId;
        this.repository = repository;
        this.cache = cache;
    }

    /** The readiness body: UP, DEGRADED (Redis down) or DOWN (PostgreSQL down). */
    record Health(String status, String instance, String postgres, String redis) {
    }

    /** The process is up and serving HTTP. */
    void live(Context ctx) {
        ctx.json(Map.of("status", "UP", "instance", instanceId));
    }

    /** Ready when PostgreSQL answers; Redis down only degrades (requests still succeed). */
    void ready(Context ctx) {
        boolean postgres = repository.isReachable(PROBE_TIMEOUT);
        boolean redis = cache.isUp();
        String status = !postgres ? "DOWN" : redis ? "UP" : "DEGRADED";
        ctx.status(postgres ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .json(new Health(status, instanceId, postgres ? "UP" : "DOWN", redis ? "UP" : "DOWN"));
    }
}
