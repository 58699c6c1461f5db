package dev.hitslb.hits;

import dev.hitslb.platform.Env;
import java.time.Duration;
import java.util.Map;

/**
 * The counting feature's own settings, read from the environment as {@link dev.hitslb.platform.AppConfig}
 * reads the platform's: each invalid value stops start-up naming its variable.
 *
 * @param cacheRefresh       how often each instance copies the database total into Redis
 * @param requestIdRetention how long a counted request id is remembered, so a retry is not counted again
 */
record HitsConfig(Duration cacheRefresh, Duration requestIdRetention) {
    static HitsConfig from(Map<String, String> env) {
        Env e = new Env(env);
        return new HitsConfig(
                Duration.ofMillis(e.integer("CACHE_REFRESH_MS", 1_000, 50, 3_600_000)),
                // 3 minutes: nginx sets a new id for every client request, so a repeated id is its own retry,
                // seconds later. Longer, the table of remembered ids outgrows PostgreSQL's buffers and counting
                // slows: after a soak at half the 2-core bench machine's rate, (c) kept 108 % of its fresh
                // throughput at 3 minutes, 89 % at 5, 79 % at 15 (docs/performance.md#steady-state).
                Duration.ofSeconds(e.integer("REQUEST_ID_RETENTION_SECONDS", 180, 60, 30 * 86_400)));
    }
}
