package dev.hitslb.hits;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.util.Map;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hits service: counts page loads and says which instance served each one. */
public final class HitsApp {
    private static final Logger log = LoggerFactory.getLogger(HitsApp.class);
    static final String INSTANCE_HEADER = "X-Instance-Id";

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
        Javalin app = create(config, Services.start(config));
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop, "graceful-shutdown"));
        app.start(config.httpPort());
        log.info("instance {} ready on port {}", config.instanceId(), config.httpPort());
    }

    /** The unstarted app; stopping it finishes in-flight requests, then closes {@code services}. */
    static Javalin create(AppConfig config, Services services) {
        String instance = config.instanceId();
        HitsHandler hits = new HitsHandler(instance, services.counter, services.totals);
        HealthHandler health = new HealthHandler(instance, services.repository, services.cache);
        Metrics metrics = services.metrics;
        return Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.prefer405over404 = true;
            cfg.jsonMapper(new JavalinJackson());
            cfg.jetty.modifyServer(server -> {
                // On stop: refuse new requests, let in-flight ones finish, give up after the timeout.
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(config.shutdownTimeout().toMillis());
            });

            cfg.routes.before(ctx -> ctx.header(INSTANCE_HEADER, instance));
            cfg.routes.get("/", hits::count);
            cfg.routes.get("/api/hits", hits::total);
            cfg.routes.get("/health/live", health::live);
            cfg.routes.get("/health/ready", health::ready);
            cfg.routes.get("/metrics", ctx -> ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape()));
            cfg.routes.after(ctx -> metrics.responses.labelValues(Integer.toString(ctx.statusCode())).inc());

            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), instance));
            cfg.routes.exception(DatabaseUnavailableException.class,
                    (e, ctx) -> error(ctx, HttpStatus.SERVICE_UNAVAILABLE.getCode(), e.getMessage(), instance));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
                error(ctx, HttpStatus.INTERNAL_SERVER_ERROR.getCode(), "internal error", instance);
            });
            cfg.routes.error(HttpStatus.NOT_FOUND.getCode(), ctx -> error(ctx, 404, "no such page: " + ctx.path(), instance));
            cfg.routes.error(HttpStatus.METHOD_NOT_ALLOWED.getCode(),
                    ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path(), instance));

            cfg.events.serverStopped(services::close);
        });
    }

    /** Every error is JSON and names the instance; a 500 never echoes internals. */
    private static void error(Context ctx, int status, String message, String instance) {
        ctx.status(status).json(Map.of("error", message, "instance", instance));
    }
}
