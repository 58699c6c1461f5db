package dev.hitslb.hits;

import dev.hitslb.platform.DatabaseUnavailableException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The total as readers see it: from the Redis cache when it is trusted, else from PostgreSQL. This
 * instance never answers less than the highest total it has already seen, so its readers never see
 * the count go backwards, even across a Redis restart; the one exception is a total above
 * PostgreSQL's, which nothing committed (see {@link #refresh}).
 */
final class TotalView {
    private static final Logger log = LoggerFactory.getLogger(TotalView.class);

    private final HitRepository repository;
    private final HitCache cache;
    private final Duration dbTimeout;
    private final AtomicLong highest = new AtomicLong();

    TotalView(HitRepository repository, HitCache cache, Duration dbTimeout) {
        this.repository = repository;
        this.cache = cache;
        this.dbTimeout = dbTimeout;
    }

    /**
     * A batch committed with this total: tell the cache, then remember it. In that order, so this
     * instance never answers a total that another instance, reading Redis, could not yet see.
     */
    void committed(long total) {
        cache.offer(total);
        seen(total);
    }

    /**
     * The current total, at most one cache refresh period behind the database.
     *
     * @throws DatabaseUnavailableException when the cache cannot answer and PostgreSQL is down
     */
    long current() {
        OptionalLong cached = cache.read();
        if (cached.isPresent()) {
            return seen(cached.getAsLong());
        }
        try {
            long total = repository.total(dbTimeout);
            cache.refresh(total);
            return seen(total);
        } catch (SQLException e) {
            throw new DatabaseUnavailableException("the database is unavailable", e);
        }
    }

    /**
     * Copies the database total into the cache; runs every CACHE_REFRESH_MS and at start-up. What this
     * instance or the cache held before the total was read and is above it was never committed (a
     * value written into Redis by hand): both are corrected down to the total.
     */
    void refresh() {
        long shown = highest.get();
        String cached = cache.peek();
        try {
            long total = repository.total(dbTimeout);
            cache.refresh(total, cached);
            if (shown > total && highest.compareAndSet(shown, total)) {
                log.warn("this instance had shown {}, above PostgreSQL's total {}: corrected down", shown, total);
            }
            seen(total);
        } catch (SQLException e) {
            log.debug("cache refresh skipped: database unavailable ({})", e.getMessage());
        }
    }

    private long seen(long total) {
        return highest.accumulateAndGet(total, Math::max);
    }
}
