package dev.hitslb.hits;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.ConfigException;
import dev.hitslb.platform.HealthCheck;
import dev.hitslb.platform.Metrics;
import dev.hitslb.platform.WebServer;
import io.javalin.Javalin;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hits service: counts page loads and says which instance served each one. */
public final class HitsApp {
    private static final Logger log = LoggerFactory.getLogger(HitsApp.class);

    private HitsApp() {
    }

    public static void main(String[] args) {
        AppConfig config;
        try {
            config = AppConfig.from(System.getenv());
        } catch (ConfigException e) {
            System.err.println("hits-service: " + e.getMessage());
            System.exit(2);
            return;
        }
        HitsBackend backend = new HitsBackend(config);
        backend.start();
        Javalin app = create(config, backend);
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop, "graceful-shutdown"));
        app.start(config.httpPort());
        log.info("instance {} ready on port {}", config.instanceId(), config.httpPort());
    }

    /** The unstarted app on a started backend; stopping it finishes in-flight requests, then closes the backend. */
    static Javalin create(AppConfig config, HitsBackend backend) {
        return create(config, backend, backend.metrics(), backend.healthChecks(), backend::close);
    }

    /** The unstarted app on any {@link HitStore} (a test's fake, say); {@code onStopped} runs after it stops. */
    static Javalin create(AppConfig config, HitStore store, Metrics metrics, List<HealthCheck> checks, Runnable onStopped) {
        HitsHandler hits = new HitsHandler(config.instanceId(), store);
        return WebServer.create(config, metrics, checks, onStopped, routes -> {
            routes.get("/", hits::count);
            routes.get("/api/hits", hits::total);
        });
    }
}
