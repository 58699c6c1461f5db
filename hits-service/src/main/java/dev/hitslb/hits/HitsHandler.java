package dev.hitslb.hits;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.QuotedQualityCSV;

/** GET / counts a page load; GET /api/hits reads the total. HTTP in and out, nothing more. */
final class HitsHandler {
    static final String REQUEST_ID = "X-Request-Id";
    private static final int MAX_REQUEST_ID_LENGTH = 200;

    private final String instanceId;
    private final HitCounter counter;
    private final Totals totals;
    private final HitsPage page;

    HitsHandler(String instanceId, HitCounter counter, Totals totals) {
        this.instanceId = instanceId;
        this.counter = counter;
        this.totals = totals;
        this.page = new HitsPage(instanceId);
    }

    /** The JSON body of GET / and GET /api/hits. */
    record Hits(String instance, long hits) {
    }

    void count(Context ctx) {
        long total = counter.count(requestId(ctx));
        ctx.header("Cache-Control", "no-store");
        if (wantsJson(ctx.header(HttpHeader.ACCEPT.asString()))) {
            ctx.json(new Hits(instanceId, total));
        } else {
            ctx.html(page.render(total));
        }
    }

    void total(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        ctx.json(new Hits(instanceId, totals.current()));
    }

    /** The request's id, or null when it has none; a malformed one is the client's error. */
    private static String requestId(Context ctx) {
        String id = ctx.header(REQUEST_ID);
        if (id == null) {
            return null;
        }
        if (id.isEmpty() || id.length() > MAX_REQUEST_ID_LENGTH || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new BadRequestResponse(REQUEST_ID + " must be 1 to " + MAX_REQUEST_ID_LENGTH
                    + " visible ASCII characters");
        }
        return id;
    }

    /** JSON when the client prefers application/json to HTML (q-values respected); HTML otherwise. */
    static boolean wantsJson(String accept) {
        if (accept == null) {
            return false;
        }
        QuotedQualityCSV types = new QuotedQualityCSV();
        types.addValue(accept);
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
