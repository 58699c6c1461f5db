package dev.hitslb.hits;

import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.HealthCheck;
import dev.hitslb.platform.Metrics;
import dev.hitslb.platform.StartupException;
import dev.hitslb.platform.WebServer;
import io.javalin.Javalin;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hits service: counts page loads and says which instance served each one. */
public final class HitsApp {
    private static final Logger log = LoggerFactory.getLogger(HitsApp.class);

    private HitsApp() {}

    /**
     * Exits at once, with one line naming the cause, when start-up cannot succeed (a bad variable, refused
     * credentials, PostgreSQL away for DB_STARTUP_TIMEOUT_SECONDS, the port taken); what was started is closed first.
     */
    public static void main(String[] args) {
        try {
            start();
        } catch (StartupException e) {
            System.err.println("hits-service: " + e.getMessage());
            System.exit(e.exitCode());
        }
    }

    private static void start() {
        AppConfig config = AppConfig.from(System.getenv());
        HitsBackend backend = new HitsBackend(config, HitsConfig.from(System.getenv()));
        Javalin app;
        try {
            backend.start();
            app = create(config, backend);
        } catch (RuntimeException | Error e) {
            backend.close(); // the writer thread is not a daemon: left running, it would keep the JVM alive
            throw e;
        }
        Thread graceful = new Thread(app::stop, "graceful-shutdown");
        Runtime.getRuntime().addShutdownHook(graceful);
        try {
            WebServer.start(app, config);
        } catch (RuntimeException | Error e) {
            Runtime.getRuntime().removeShutdownHook(graceful);
            backend.close();
            throw e;
        }
        log.info("instance {} ready on port {}", config.instanceId(), config.httpPort());
    }

    /** The unstarted app on a started backend; stopping it finishes in-flight requests, then closes the backend. */
    static Javalin create(AppConfig config, HitsBackend backend) {
        return create(config, backend, backend.metrics(), backend.healthChecks(), backend::close);
    }

    /** The unstarted app on any {@link HitStore} (a test's fake, say); {@code onStopped} runs after it stops. */
    static Javalin create(
            AppConfig config, HitStore store, Metrics metrics, List<HealthCheck> checks, Runnable onStopped) {
        HitsHandler hits = new HitsHandler(config.instanceId(), store);
        return WebServer.create(config, metrics, checks, onStopped, routes -> {
            routes.get("/", hits::count);
            routes.get("/api/hits", hits::total);
        });
    }
}
