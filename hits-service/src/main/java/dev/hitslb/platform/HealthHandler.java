package dev.hitslb.platform;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Liveness and readiness probes. They never reach the feature. */
final class HealthHandler {
    private final String instanceId;
    private final List<HealthCheck> checks;

    HealthHandler(String instanceId, List<HealthCheck> checks) {
        this.instanceId = instanceId;
        this.checks = List.copyOf(checks);
    }

    /** The process is up and serving HTTP. */
    void live(Context ctx) {
        ctx.json(Map.of("status", "UP", "instance", instanceId));
    }

    /** UP, DEGRADED (an optional check down) or DOWN (a required check down: 503), then each check. */
    void ready(Context ctx) {
        Map<String, String> states = new LinkedHashMap<>();
        boolean ready = true;
        boolean degraded = false;
        for (HealthCheck check : checks) {
            boolean up = check.isUp();
            states.put(check.name(), up ? "UP" : "DOWN");
            ready &= up || !check.required();
            degraded |= !up;
        }
        Map<String, String> body = new LinkedHashMap<>();
        body.put("status", !ready ? "DOWN" : degraded ? "DEGRADED" : "UP");
        body.put("instance", instanceId);
        body.putAll(states);
        ctx.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
    }
}
