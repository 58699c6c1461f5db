package dev.hitslb.hits;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the HTTP layer stands on: the pool, the schema, the cache and the batching counter. */
final class Services implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Services.class);
    private static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofSeconds(60);

    final Metrics metrics;
    final HikariDataSource dataSource;
    final HitRepository repository;
    final HitCache cache;
    final Totals totals;
    final HitCounter counter;
    private final ScheduledExecutorService housekeeping;

    private Services(AppConfig config) {
        metrics = new Metrics();
        // Flyway migrates on a connection of its own: the pool's 250 ms connection timeout is for
        // requests, and the first connection of a cold JVM (class loading, SCRAM) can take longer,
        // which cost a one-second retry at every start. It waits for PostgreSQL for a while at
        // start-up (compose may start us first), then fails.
        Flyway.configure().dataSource(config.dbUrl(), config.dbUser(), config.dbPassword())
                .connectRetries(10).load().migrate();
        dataSource = new HikariDataSource(hikari(config));
        repository = new HitRepository(dataSource);
        cache = new HitCache(config.redisHost(), config.redisPort(), config.redisTimeout(), metrics);
        totals = new Totals(repository, cache, config.dbTimeout());
        totals.refresh();
        counter = new HitCounter(repository, totals, metrics, config.dbTimeout());
        housekeeping = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("housekeeping").daemon().factory());
        long refresh = config.cacheRefresh().toMillis();
        housekeeping.scheduleWithFixedDelay(totals::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
        Duration retention = config.requestIdRetention();
        long sweep = Math.min(60, retention.toSeconds() / 4);
        housekeeping.scheduleWithFixedDelay(() -> forgetOldRequestIds(retention), sweep, sweep, TimeUnit.SECONDS);
    }

    /** Connects, migrates the schema and starts the counter; fails when PostgreSQL stays away. */
    static Services start(AppConfig config) {
        return new Services(config);
    }

    private static HikariConfig hikari(AppConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("hits");
        hikari.setJdbcUrl(config.dbUrl());
        hikari.setUsername(config.dbUser());
        hikari.setPassword(config.dbPassword());
        // One connection is the batch writer's; the rest serve reads, probes and housekeeping.
        hikari.setMaximumPoolSize(config.dbPoolSize());
        // Fail fast when PostgreSQL is away: a waiting request is answered 503 well within a second.
        hikari.setConnectionTimeout(250);
        hikari.setValidationTimeout(250);
        // PostgreSQL is up (Flyway just used it): open the first connection before serving.
        hikari.setInitializationFailTimeout(10_000);
        hikari.addDataSourceProperty("connectTimeout", 1);
        hikari.addDataSourceProperty("tcpKeepAlive", true);
        hikari.addDataSourceProperty("ApplicationName", "hits-service " + config.instanceId());
        return hikari;
    }

    private void forgetOldRequestIds(Duration retention) {
        try {
            int forgotten = repository.forgetOlderThan(retention, HOUSEKEEPING_TIMEOUT);
            if (forgotten > 0) {
                log.info("forgot {} request ids older than {} s", forgotten, retention.toSeconds());
            }
        } catch (SQLException e) {
            log.debug("request id cleanup skipped: {}", e.getMessage());
        }
    }

    /** Records what is queued, then closes the counter, the cache and the pool, in that order. */
    @Override
    public void close() {
        housekeeping.shutdownNow();
        counter.close();
        cache.close();
        dataSource.close();
    }
}
