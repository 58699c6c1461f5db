package dev.hitslb.hits;

import java.util.Locale;
import org.eclipse.jetty.util.StringUtil;

/**
 * The small HTML page a browser gets: the count, and which instance served it, in its own colour.
 * Everything but the count is fixed per instance, so it is laid out once: formatting the whole
 * template on every page load cost measurably more CPU per request (bench/).
 */
final class HitsPage {
    private static final String COUNT = "\u0000count\u0000";
    private final String[] around;

    HitsPage(String instanceId) {
        String instance = StringUtil.sanitizeXmlString(instanceId);
        // Each instance gets a stable hue, so refreshing behind a load balancer visibly changes colour.
        int hue = Math.floorMod(instanceId.hashCode() * 47, 360);
        around = String.format(Locale.ROOT, """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>%2$s hits · %1$s</title>
                <style>
                  body { margin: 0; min-height: 100vh; display: grid; place-items: center;
                         font-family: system-ui, sans-serif; background: hsl(%3$d 60%% 95%%); color: #222; }
                  main { text-align: center; padding: 2rem 3rem; border-radius: 1rem; background: #fff;
                         box-shadow: 0 2px 12px rgb(0 0 0 / 0.1); border-top: 0.5rem solid hsl(%3$d 60%% 45%%); }
                  .hits { font-size: 4rem; font-weight: 700; margin: 0; font-variant-numeric: tabular-nums; }
                  .instance { font-family: ui-monospace, monospace; color: hsl(%3$d 60%% 30%%); }
                  small { color: #777; }
                </style>
                </head>
                <body>
                <main>
                  <p class="hits">%2$s</p>
                  <p>page loads, counted by <span class="instance">%1$s</span></p>
                  <small>Refresh to be served again; behind the load balancer the instance changes.</small>
                </main>
                </body>
                </html>
                """, instance, COUNT, hue).split(COUNT, -1);
    }

    /** The page for {@code hits}, with thousands separated by commas. */
    String render(long hits) {
        String count = String.format(Locale.ROOT, "%,d", hits);
        return around[0] + count + around[1] + count + around[2];
    }
}
