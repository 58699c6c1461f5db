package dev.hitslb.platform;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every error is JSON {@code {"error": "...", "instance": "..."}}; a 500 never echoes internals. */
final class JsonErrors {
    private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);

    private JsonErrors() {
    }

    static void install(RoutesConfig routes, String instance) {
        routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), instance));
        routes.exception(DatabaseUnavailableException.class,
                (e, ctx) -> error(ctx, HttpStatus.SERVICE_UNAVAILABLE.getCode(), e.getMessage(), instance));
        routes.exception(Exception.class, (e, ctx) -> {
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, HttpStatus.INTERNAL_SERVER_ERROR.getCode(), "internal error", instance);
        });
        routes.error(HttpStatus.NOT_FOUND.getCode(), ctx -> error(ctx, 404, "no such page: " + ctx.path(), instance));
        routes.error(HttpStatus.METHOD_NOT_ALLOWED.getCode(),
                ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path(), instance));
    }

    private static void error(Context ctx, int status, String message, String instance) {
        ctx.status(status).json(Map.of("error", message, "instance", instance));
    }
}
