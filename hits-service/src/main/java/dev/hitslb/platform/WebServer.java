package dev.hitslb.platform;

import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.json.JavalinJackson;
import io.javalin.util.JavalinBindException;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The Javalin app every service built from this template shares: virtual threads, graceful shutdown,
 * X-Instance-Id on every response, /health/live, /health/ready, /metrics, http_responses_total and
 * JSON errors. The service adds its own routes.
 */
public final class WebServer {
    static final String INSTANCE_HEADER = "X-Instance-Id";
    /**
     * Connections the kernel may hold before Jetty accepts them (capped by net.core.somaxconn). Jetty's
     * default is the JDK's 50: a burst from nginx overflowed it, the dropped SYNs came back only after 1 s
     * (nginx's proxy_connect_timeout), and nginx took the replica out as failed.
     */
    public static final int ACCEPT_QUEUE = 1024;
    /**
     * The buffer Javalin copies each response body through into Jetty's output stream, allocated afresh for
     * every response. Javalin's default is Jetty's output buffer size, 32 KiB, zeroed and dropped per request
     * for bodies of 40 bytes (JSON) to 2 KiB (the page); Jetty still buffers what it is given, so a larger body
     * only takes more copy steps. Measured with 3 replicas behind nginx: 13.4 young collections per 10,000
     * page loads with 32 KiB, 5.3 with this (45 KiB allocated per page load, 18 KiB), 2-4 us less CPU each.
     */
    public static final int RESPONSE_COPY_BUFFER = 4096;

    private WebServer() {}

    /**
     * Starts {@code app} on BIND_ADDRESS:HTTP_PORT.
     *
     * @throws StartupException when it cannot listen there (the port taken, the address not this
     *                          machine's); the app is stopped, so nothing of it keeps running
     */
    public static void start(Javalin app, AppConfig config) {
        try {
            app.start(); // on cfg.jetty.host and cfg.jetty.port, set in create
        } catch (JavalinBindException e) {
            app.stop(); // Jetty's threads and onStopped: nothing of the app outlives the failure
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof BindException)) {
                cause = cause.getCause();
            }
            throw new StartupException(
                    StartupException.UNAVAILABLE,
                    cause.getMessage() != null && cause.getMessage().contains("Address already in use")
                            ? "port " + config.httpPort() + " is in use (HTTP_PORT)"
                            : "cannot listen on BIND_ADDRESS='" + config.bindAddress() + "' HTTP_PORT="
                                    + config.httpPort() + ": " + cause.getMessage());
        }
    }

    /** The unstarted app; stopping it finishes in-flight requests, then runs {@code onStopped}. */
    public static Javalin create(
            AppConfig config,
            Metrics metrics,
            List<HealthCheck> checks,
            Runnable onStopped,
            Consumer<RoutesConfig> routes) {
        String instance = config.instanceId();
        HealthHandler health = new HealthHandler(instance, checks);
        AtomicReference<Server> jetty = new AtomicReference<>();
        return Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.prefer405over404 = true;
            cfg.http.responseBufferSize = RESPONSE_COPY_BUFFER;
            cfg.jsonMapper(new JavalinJackson());
            // BIND_ADDRESS: ./stack and the suites listen on 127.0.0.1 only, so nobody reaches a replica
            // around nginx; a container listens on every interface of its own network.
            cfg.jetty.host = config.bindAddress();
            cfg.jetty.port = config.httpPort();
            cfg.jetty.modifyServer(server -> {
                jetty.set(server);
                // On stop: refuse new requests, let in-flight ones finish, give up after the timeout.
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(config.shutdownTimeout().toMillis());
                // Requests Jetty's parser refuses (400, 414, 431) get the JSON error format too.
                server.setErrorHandler(new JsonErrors.JettyErrorHandler(instance));
            });

            cfg.routes.before(ctx -> ctx.header(INSTANCE_HEADER, instance));
            routes.accept(cfg.routes);
            cfg.routes.get("/health/live", health::live);
            cfg.routes.get("/health/ready", health::ready);
            // Javalin answers HEAD of a GET route 200 without running it: a checker probing with HEAD
            // would keep routing to an instance that cannot count. The probes answer HEAD as GET.
            cfg.routes.head("/health/live", health::live);
            cfg.routes.head("/health/ready", health::ready);
            cfg.routes.get(
                    "/metrics", ctx -> ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape()));
            cfg.routes.after(ctx -> metrics.responses
                    .labelValues(Integer.toString(ctx.statusCode()))
                    .inc());
            JsonErrors.install(cfg.routes, instance);

            // Javalin has no setting for the accept queue: set on its connector, there but not yet listening when
            // starting.
            cfg.events.serverStarting(() -> {
                for (Connector connector : jetty.get().getConnectors()) {
                    if (connector instanceof ServerConnector listening) {
                        listening.setAcceptQueueSize(ACCEPT_QUEUE);
                    }
                }
            });
            cfg.events.serverStopped(onStopped::run);
        });
    }
}
