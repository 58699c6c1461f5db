package dev.hitslb.hits;

import dev.hitslb.platform.Redis;
import dev.hitslb.platform.RedisUrl;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The total cached in Redis for reads. Best effort: a Redis failure is logged and counted, never
 * passed on to the client.
 *
 * <p>The cached value only ever grows: writers offer their committed total through a script that
 * keeps the larger value, so a slow writer's older total cannot overwrite a newer one (the original
 * app's out-of-order SET race). After any failure the cache is not trusted, read or written, until a
 * refresh from PostgreSQL succeeds; so a Redis that comes back holding an old total is corrected
 * before anyone reads it. A total above PostgreSQL's, which no writer can have offered (anyone who
 * reaches Redis can SET it), is corrected down by the next refresh (see {@link #refresh}).
 */
final class HitCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HitCache.class);
    static final String KEY = "hits:total";
    private static final String KEEP_LARGER = """
            local current = tonumber(redis.call('GET', KEYS[1]))
            local offered = tonumber(ARGV[1])
            if current == nil or current < offered then
                redis.call('SET', KEYS[1], ARGV[1])
                return offered
            end
            return current
            """;

    /**
     * Sets ARGV[1] when the value is still ARGV[2], the one read before PostgreSQL's total ARGV[1], and
     * above it: too high to be any writer's (returns 1). Otherwise keeps the larger, as
     * {@link #KEEP_LARGER} (returns 0).
     */
    private static final String CORRECT_DOWN = """
            local current = redis.call('GET', KEYS[1])
            local total = tonumber(ARGV[1])
            if current and current == ARGV[2] and tonumber(current) and tonumber(current) > total then
                redis.call('SET', KEYS[1], ARGV[1])
                return 1
            end
            if tonumber(current) == nil or tonumber(current) < total then
                redis.call('SET', KEYS[1], ARGV[1])
            end
            return 0
            """;

    private final RedisClient redis;
    private final HitMetrics metrics;
    /** False until a refresh succeeds, and again after any failure. */
    private final AtomicBoolean trusted = new AtomicBoolean(false);

    HitCache(RedisUrl url, Duration timeout, HitMetrics metrics) {
        this.metrics = metrics;
        this.redis = Redis.client(url, timeout, "hits-service");
    }

    /** The cached total, or empty when Redis is not trusted, down, or has no value yet. */
    OptionalLong read() {
        if (!trusted.get()) {
            return OptionalLong.empty();
        }
        try {
            String value = redis.get(KEY);
            return value == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value));
        } catch (JedisException | NumberFormatException e) {
            distrust(e);
            return OptionalLong.empty();
        }
    }

    /** Offers a committed total; skipped while Redis is not trusted. */
    void offer(long total) {
        if (trusted.get()) {
            keepLarger(total);
        }
    }

    /** Writes a total read from PostgreSQL, whatever the trust, and trusts Redis again if that worked. */
    void refresh(long total) {
        trustAgainIf(keepLarger(total), total);
    }

    /** The cached value as it is, trusted or not, for {@link #refresh(long, String)}; null when none or unreadable. */
    String peek() {
        try {
            return redis.get(KEY);
        } catch (JedisException e) {
            return null;
        }
    }

    /**
     * As {@link #refresh(long)}, and corrects the cache down when it still holds {@code before} (what
     * {@link #peek} read before PostgreSQL's total was read) and that is above {@code total}: every
     * writer offers a total it committed, so a value it could have offered is at most {@code total}.
     */
    void refresh(long total, String before) {
        boolean written;
        try {
            Object corrected = redis.eval(CORRECT_DOWN, 1, KEY, Long.toString(total), before == null ? "" : before);
            if (Long.valueOf(1).equals(corrected)) {
                log.warn("Redis held {}, above PostgreSQL's total {}: corrected down", before, total);
            }
            written = true;
        } catch (JedisException e) {
            distrust(e);
            written = false;
        }
        trustAgainIf(written, total);
    }

    private void trustAgainIf(boolean written, long total) {
        if (written && trusted.compareAndSet(false, true)) {
            log.info("Redis cache is in use (total {})", total);
        }
    }

    private boolean keepLarger(long total) {
        try {
            redis.eval(KEEP_LARGER, 1, KEY, Long.toString(total));
            return true;
        } catch (JedisException e) {
            distrust(e);
            return false;
        }
    }

    private void distrust(Exception e) {
        metrics.cacheFailures.inc();
        if (trusted.compareAndSet(true, false)) {
            log.warn("Redis cache unavailable, serving from PostgreSQL until it is back: {}", e.getMessage());
        }
    }

    /** Whether Redis is up and in use. */
    boolean isUp() {
        return trusted.get();
    }

    @Override
    public void close() {
        redis.close();
    }
}
