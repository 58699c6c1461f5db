package dev.hitslb.hits;

import dev.hitslb.platform.Requests;
import io.javalin.http.Context;
import org.eclipse.jetty.http.HttpHeader;

/** GET / counts a page load; GET /api/hits reads the total. HTTP in and out, nothing more. */
final class HitsHandler {
    private final String instanceId;
    private final HitStore store;
    private final HitsPage page;

    HitsHandler(String instanceId, HitStore store) {
        this.instanceId = instanceId;
        this.store = store;
        this.page = new HitsPage(instanceId);
    }

    /** The JSON body of GET / and GET /api/hits. */
    record Hits(String instance, long hits) {}

    void count(Context ctx) {
        // Everything the client sent is read before counting: a bad header is a 400 that counts nothing.
        boolean json = Requests.wantsJson(ctx.header(HttpHeader.ACCEPT.asString()));
        long total = store.count(Requests.requestId(ctx), Requests.sentAt(ctx));
        ctx.header("Cache-Control", "no-store");
        if (json) {
            ctx.json(new Hits(instanceId, total));
        } else {
            ctx.html(page.render(total));
        }
    }

    void total(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        ctx.json(new Hits(instanceId, store.total()));
    }
}
