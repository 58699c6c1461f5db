package dev.hitslb.hits;

import java.util.Locale;
import org.eclipse.jetty.util.StringUtil;

/** The small HTML page a browser gets: the count, and which instance served it, in its own colour. */
final class HitsPage {
    private HitsPage() {
    }

    static String render(String instanceId, long hits) {
        String instance = StringUtil.sanitizeXmlString(instanceId);
        // Each instance gets a stable hue, so refreshing behind a load balancer visibly changes colour.
        int hue = Math.floorMod(instanceId.hashCode() * 47, 360);
        return String.format(Locale.ROOT, """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>%2$,d hits · %1$s</title>
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
                  <p class="hits">%2$,d</p>
                  <p>page loads, counted by <span class="instance">%1$s</span></p>
                  <small>Refresh to be served again; behind the load balancer the instance changes.</small>
                </main>
                </body>
                </html>
                """, instance, hits, hue);
    }
}
