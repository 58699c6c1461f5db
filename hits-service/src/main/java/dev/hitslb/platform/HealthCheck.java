package dev.hitslb.platform;

import java.util.function.BooleanSupplier;

/**
 * One dependency /health/ready reports under {@code name}: UP or DOWN. A required one down makes the
 * instance unready (503); an optional one down only degrades it. {@code probe} must answer quickly.
 */
public record HealthCheck(String name, boolean required, BooleanSupplier probe) {
    /** Down means not ready: the load balancer should send this instance nothing. */
    public static HealthCheck required(String name, BooleanSupplier probe) {
        return new HealthCheck(name, true, probe);
    }

    /** Down means degraded: requests still succeed without it. */
    public static HealthCheck optional(String name, BooleanSupplier probe) {
        return new HealthCheck(name, false, probe);
    }

    boolean isUp() {
        return probe.getAsBoolean();
    }
}
