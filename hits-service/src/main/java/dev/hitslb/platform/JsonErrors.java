package dev.hitslb.platform;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every error is JSON {@code {"error": "...", "instance": "..."}}; a 500 never echoes internals. */
final class JsonErrors {
    private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);

    private JsonErrors() {}

    static void install(RoutesConfig routes, String instance) {
        routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), instance));
        routes.exception(
                DatabaseUnavailableException.class,
                (e, ctx) -> error(ctx, HttpStatus.SERVICE_UNAVAILABLE.getCode(), e.getMessage(), instance));
        routes.exception(Exception.class, (e, ctx) -> {
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, HttpStatus.INTERNAL_SERVER_ERROR.getCode(), "internal error", instance);
        });
        routes.error(HttpStatus.NOT_FOUND.getCode(), ctx -> error(ctx, 404, "no such page: " + ctx.path(), instance));
        routes.error(
                HttpStatus.METHOD_NOT_ALLOWED.getCode(),
                ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path(), instance));
    }

    /** The error body: a record, so its fields come out in this order every time, as nginx's own errors do. */
    record ErrorBody(String error, String instance) {}

    private static void error(Context ctx, int status, String message, String instance) {
        ctx.status(status).json(new ErrorBody(message, instance));
    }

    /**
     * Jetty's own error answers in the same format: a request its parser refuses (400, 414 URI too long,
     * 431 headers too large) never reaches a route, so Javalin's handlers above never see it. The
     * server's error handler answers those, and Jetty's other errors (a 503 while shutting down): the
     * text is the status's reason, never the parser's detail; a 500 is "internal error".
     */
    static final class JettyErrorHandler extends ErrorHandler {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final String instance;

        JettyErrorHandler(String instance) {
            this.instance = instance;
        }

        @Override
        protected void generateResponse(
                Request request, Response response, int code, String message, Throwable cause, Callback callback)
                throws IOException {
            ObjectNode body = JSON.createObjectNode()
                    .put("error", code == 500 ? "internal error" : org.eclipse.jetty.http.HttpStatus.getMessage(code))
                    .put("instance", instance);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(WebServer.INSTANCE_HEADER, instance);
            response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(body)), callback);
        }
    }
}
