package dev.hitslb.lb;

import java.util.Locale;

/** Where the rendered config runs. */
public enum RenderTarget {
    /** In compose.yaml's nginx container: replicas by service name, re-resolved at run time. */
    COMPOSE,
    /** On this machine (./stack, the test suites): replicas on 127.0.0.1 ports, Debian 12's nginx 1.22.1 and newer. */
    LOCAL,
    /**
     * In the nginx Deployment of {@code k8s/}: each server line names a headless Service, which the
     * cluster DNS answers with every ready pod, re-resolved at run time.
     */
    KUBERNETES;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RenderTarget fromId(String id) {
        for (RenderTarget target : values()) {
            if (target.id().equals(id)) {
                return target;
            }
        }
        throw new IllegalArgumentException("unknown target '" + id + "': expected compose, local or kubernetes");
    }

    @Override
    public String toString() {
        return id();
    }
}
