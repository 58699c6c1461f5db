package dev.hitslb.hits;

import com.zaxxer.hikari.HikariDataSource;
import dev.hitslb.platform.AppConfig;
import dev.hitslb.platform.DatabaseUnavailableException;
import dev.hitslb.platform.DatabaseWatch;
import dev.hitslb.platform.HealthCheck;
import dev.hitslb.platform.Metrics;
import dev.hitslb.platform.Postgres;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the hits routes stand on: the pool, the schema, the cache, the total readers see, the batching counter and
 * the housekeeping. Building it starts nothing: {@link #start} connects and starts, {@link #close} stops.
 */
final class HitsBackend implements HitStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HitsBackend.class);
    private static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofSeconds(60);

    private final AppConfig config;
    private final HitsConfig settings;
    private final Metrics metrics = new Metrics();
    private final HitMetrics hitMetrics = new HitMetrics(metrics.registry());
    private DatabaseWatch watch;
    private HikariDataSource dataSource;
    private HitRepository repository;
    private HitCache cache;
    private TotalView totalView;
    private HitCounter counter;
    private ScheduledExecutorService housekeeping;
    private boolean closed;

    HitsBackend(AppConfig config, HitsConfig settings) {
        this.config = config;
        this.settings = settings;
    }

    /**
     * Waits for PostgreSQL, migrates the schema, connects, fills the cache and starts the counter; fails
     * when PostgreSQL stays away or refuses the credentials. Whatever fails, {@link #close} stops what started.
     */
    void start() {
        Postgres.awaitStartup(config);
        Postgres.migrate(config);
        watch = DatabaseWatch.start(config);
        dataSource = Postgres.pool("hits", config);
        repository = new HitRepository(dataSource);
        cache = new HitCache(config.redis(), config.redisTimeout(), hitMetrics);
        totalView = new TotalView(repository, cache, config.dbTimeout());
        totalView.refresh();
        // A third of the retention: ids are remembered for all of it, so a request that waited less is safe to count.
        counter = new HitCounter(
                repository,
                totalView,
                hitMetrics,
                config.dbTimeout(),
                settings.requestIdRetention().dividedBy(3),
                watch::answered);
        watch.whenDown(counter::failWaiting);
        housekeeping = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("housekeeping").daemon().factory());
        long refresh = settings.cacheRefresh().toMillis();
        housekeeping.scheduleWithFixedDelay(totalView::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
        Duration retention = settings.requestIdRetention();
        long sweep = Math.min(60, retention.toSeconds() / 4);
        housekeeping.scheduleWithFixedDelay(() -> forgetOldRequestIds(retention), sweep, sweep, TimeUnit.SECONDS);
    }

    /** Fails at once, without queueing, while the database is known to be down (see {@link DatabaseWatch}). */
    @Override
    public long count(String requestId, Instant sentAt) {
        if (!watch.isUp()) {
            throw new DatabaseUnavailableException("the database is unavailable");
        }
        return counter.count(requestId, sentAt);
    }

    @Override
    public long total() {
        return totalView.current();
    }

    Metrics metrics() {
        return metrics;
    }

    /**
     * After {@link #start}: PostgreSQL (as the watch last saw it) and the hit writer are required (without either nothing is counted);
     * Redis down only degrades (reads fall back to PostgreSQL).
     */
    List<HealthCheck> healthChecks() {
        return List.of(watch.healthCheck(), counter.healthCheck(), HealthCheck.optional("redis", cache::isUp));
    }

    private void forgetOldRequestIds(Duration retention) {
        try {
            long t0 = System.nanoTime();
            int forgotten = repository.forgetOlderThan(retention, HOUSEKEEPING_TIMEOUT);
            if (forgotten > 0) {
                // bench/run --soak reads this line for the sweep's cost.
                log.info(
                        "forgot {} request ids older than {} s in {} ms",
                        forgotten,
                        retention.toSeconds(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
        } catch (SQLException e) {
            log.debug("request id cleanup skipped: {}", e.getMessage());
        }
    }

    /**
     * Records what is queued, then closes the counter, the cache, the pool and the watch, in that order; skips what
     * never started. Idempotent: a failed start-up closes it, and so may the stopped app.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (counter != null) {
            counter.close();
        }
        if (cache != null) {
            cache.close();
        }
        if (dataSource != null) {
            dataSource.close();
        }
        if (watch != null) {
            watch.close();
        }
    }
}
