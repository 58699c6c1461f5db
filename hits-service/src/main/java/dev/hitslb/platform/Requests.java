package dev.hitslb.platform;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.QuotedQualityCSV;

/**
 * What a client sends that every route reads the same way: its request id, when nginx sent it on, and the
 * type it prefers.
 */
public final class Requests {
    public static final String REQUEST_ID = "X-Request-Id";
    /** When nginx first sent the request on: {@code t=} and its {@code $msec}, seconds since the epoch. */
    public static final String REQUEST_START = "X-Request-Start";

    private static final int MAX_REQUEST_ID_LENGTH = 200;
    private static final Pattern REQUEST_START_VALUE = Pattern.compile("t=\\d{1,12}(\\.\\d{1,9})?");

    private Requests() {}

    /** The request's id (nginx sets it; a retry keeps it), or null when it has none; a malformed one is a 400. */
    public static String requestId(Context ctx) {
        String id = ctx.header(REQUEST_ID);
        if (id == null) {
            return null;
        }
        if (id.isEmpty() || id.length() > MAX_REQUEST_ID_LENGTH || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new BadRequestResponse(
                    REQUEST_ID + " must be 1 to " + MAX_REQUEST_ID_LENGTH + " visible ASCII characters");
        }
        return id;
    }

    /**
     * When nginx first sent this request to a replica ({@value #REQUEST_START}: {@code t=1733424000.123}),
     * or null without the header: a request straight to the replica. The time it waited before this process
     * read it, in a socket buffer while the process was stopped for instance, is in it. Malformed: a 400.
     */
    public static Instant sentAt(Context ctx) {
        String value = ctx.header(REQUEST_START);
        if (value == null) {
            return null;
        }
        if (!REQUEST_START_VALUE.matcher(value).matches()) {
            throw new BadRequestResponse(
                    REQUEST_START + " must be t= and seconds since the epoch, such as t=1733424000.123");
        }
        BigDecimal seconds = new BigDecimal(value.substring(2));
        return Instant.ofEpochSecond(
                seconds.longValue(),
                seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());
    }

    /**
     * JSON when the client prefers application/json to HTML (q-values respected); HTML otherwise. An
     * Accept that Jetty cannot parse (an unbalanced quote) is a 400: read it before doing any work.
     */
    public static boolean wantsJson(String accept) {
        if (accept == null) {
            return false;
        }
        QuotedQualityCSV types = new QuotedQualityCSV();
        try {
            types.addValue(accept);
        } catch (IllegalArgumentException e) {
            throw new BadRequestResponse("Accept is malformed: an unbalanced quote");
        }
        for (String type : types.getValues()) {
            if (type.equalsIgnoreCase("application/json")) {
                return true;
            }
            if (type.equalsIgnoreCase("text/html") || type.equals("*/*")) {
                return false;
            }
        }
        return false;
    }
}
