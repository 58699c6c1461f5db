package dev.hitslb.hits;

import dev.hitslb.platform.Postgres;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/** The hit total in PostgreSQL, the source of truth. Every method is one atomic statement. */
final class HitRepository {
    /*
     * One statement, one transaction, one durable commit for a whole batch of page loads:
     * - ids already present (a retry seen before, here or on another replica) insert nothing;
     * - an id is stored as its 16-byte key (V2__request_keys.sql, requestKey);
     * - keys are inserted in sorted order, so two replicas inserting overlapping batches lock
     *   the same keys in the same order and cannot deadlock;
     * - the counter grows by exactly the rows inserted plus the hits that carried no id;
     * - nothing at all when the batch's oldest request arrived longer ago than the bound, by
     *   PostgreSQL's clock when the statement runs: however long the replica stalled before sending
     *   it, a request is never counted after the ids it could repeat may have been forgotten.
     * Concurrent batches serialise on the counter row, so totals are handed out in commit order.
     */
    private static final String RECORD_BATCH = """
            WITH in_time AS (
                SELECT now() < to_timestamp(? / 1000.0) + make_interval(secs => ?) AS ok
            ), fresh AS (
                INSERT INTO hit_request (request_key)
                SELECT key FROM unnest(?::uuid[]) AS keys(key)
                 WHERE (SELECT ok FROM in_time)
                 ORDER BY key
                ON CONFLICT (request_key) DO NOTHING
                RETURNING request_key
            ), counter AS (
                UPDATE hit_counter
                   SET hits = hits + (SELECT count(*) FROM fresh) + ?
                 WHERE id = 1 AND (SELECT ok FROM in_time)
                RETURNING hits
            )
            SELECT (SELECT hits FROM counter), ARRAY(SELECT request_key FROM fresh)
            """;
    private static final String TOTAL = "SELECT hits FROM hit_counter WHERE id = 1";
    private static final String FORGET = "DELETE FROM hit_request WHERE counted_at < now() - make_interval(secs => ?)";
    /** Held by the replica that sweeps, for its transaction: the others skip rather than queue on the same rows. */
    private static final String SWEEP_LOCK = "SELECT pg_try_advisory_xact_lock(" + 0x68697473L + ")"; // "hits"

    private final DataSource dataSource;

    HitRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The outcome of one batch: the total after it committed, and which request ids were new. */
    record BatchResult(long total, Set<String> freshIds) {}

    /** A borrowed connection; the caller bounds its round trips with {@link Postgres#limit}. */
    Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /**
     * Counts {@code requestIds} (distinct) that were never counted before, plus {@code anonymous}
     * page loads that carried no id, in one durable commit; or nothing, returning null, when the
     * oldest of them arrived ({@code oldestArrival}, this machine's clock) more than {@code maxWait} ago.
     */
    BatchResult record(
            Connection connection,
            Collection<String> requestIds,
            int anonymous,
            Instant oldestArrival,
            Duration maxWait)
            throws SQLException {
        MessageDigest sha256 = sha256();
        Map<UUID, String> ids = new HashMap<>();
        for (String id : requestIds) {
            ids.put(requestKey(sha256, id), id);
        }
        try (PreparedStatement statement = connection.prepareStatement(RECORD_BATCH)) {
            Array keys = connection.createArrayOf("uuid", ids.keySet().toArray());
            statement.setLong(1, oldestArrival.toEpochMilli());
            statement.setLong(2, maxWait.toSeconds());
            statement.setArray(3, keys);
            statement.setInt(4, anonymous);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                long total = rs.getLong(1);
                if (rs.wasNull()) {
                    return null;
                }
                Set<String> fresh = new HashSet<>();
                for (Object key : (Object[]) rs.getArray(2).getArray()) {
                    fresh.add(ids.get((UUID) key));
                }
                return new BatchResult(total, fresh);
            } finally {
                keys.free();
            }
        }
    }

    /** The key an id is remembered by: the first 16 bytes of its SHA-256 (as V2__request_keys.sql computes it). */
    static UUID requestKey(MessageDigest sha256, String requestId) {
        ByteBuffer hash = ByteBuffer.wrap(sha256.digest(requestId.getBytes(StandardCharsets.UTF_8)));
        return new UUID(hash.getLong(), hash.getLong());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The current total. */
    long total(Duration timeout) throws SQLException {
        try (Connection connection = Postgres.connection(dataSource, timeout);
                PreparedStatement statement = connection.prepareStatement(TOTAL);
                ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Deletes remembered request ids older than {@code retention}; returns how many, or -1 when another
     * replica is sweeping right now (every replica sweeps on the same schedule; one at a time is enough).
     */
    int forgetOlderThan(Duration retention, Duration timeout) throws SQLException {
        try (Connection connection = Postgres.connection(dataSource, timeout)) {
            connection.setAutoCommit(false); // HikariCP restores auto-commit when the connection goes back
            try (PreparedStatement lock = connection.prepareStatement(SWEEP_LOCK);
                    ResultSet locked = lock.executeQuery();
                    PreparedStatement statement = connection.prepareStatement(FORGET)) {
                locked.next();
                if (!locked.getBoolean(1)) {
                    connection.rollback();
                    return -1;
                }
                statement.setLong(1, retention.toSeconds());
                int forgotten = statement.executeUpdate();
                connection.commit();
                return forgotten;
            } catch (SQLException e) {
                try {
                    connection.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        }
    }
}
