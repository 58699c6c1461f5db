package dev.hitslb.platform;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import org.eclipse.jetty.http.QuotedQualityCSV;

/** What a client sends that every route reads the same way: its request id, and the type it prefers. */
public final class Requests {
    public static final String REQUEST_ID = "X-Request-Id";
    private static final int MAX_REQUEST_ID_LENGTH = 200;

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
