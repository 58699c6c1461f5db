package dev.hitslb.hits;

import dev.hitslb.platform.Postgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;

/** The hit total in PostgreSQL, the source of truth. Every method is one atomic statement. */
final class HitRepository {
    /*
     * One statement, one transaction, one durable commit for a whole batch of page loads:
     * - ids already present (a retry seen before, here or on another replica) insert nothing;
     * - ids are inserted in sorted order, so two replicas inserting overlapping batches lock
     *   the same keys in the same order and cannot deadlock;
     * - the counter grows by exactly the rows inserted plus the hits that carried no id.
     * Concurrent batches serialise on the counter row, so totals are handed out in commit order.
     */
    private static final String RECORD_BATCH = """
            WITH fresh AS (
                INSERT INTO hit_request (request_id)
                SELECT id FROM unnest(?::text[]) AS ids(id) ORDER BY id
                ON CONFLICT (request_id) DO NOTHING
                RETURNING request_id
            ), counter AS (
                UPDATE hit_counter
                   SET hits = hits + (SELECT count(*) FROM fresh) + ?
                 WHERE id = 1
                RETURNING hits
            )
            SELECT (SELECT hits FROM counter), ARRAY(SELECT request_id FROM fresh)
            """;
    private static final String TOTAL = "SELECT hits FROM hit_counter WHERE id = 1";
    private static final String FORGET = "DELETE FROM hit_request WHERE counted_at < now() - make_interval(secs => ?)";

    private final DataSource dataSource;

    HitRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The outcome of one batch: the total after it committed, and which request ids were new. */
    record BatchResult(long total, Set<String> freshIds) {
    }

    /** A borrowed connection; the caller bounds its round trips with {@link Postgres#limit}. */
    Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /**
     * Counts {@code requestIds} (distinct) that were never counted before, plus {@code anonymous}
     * page loads that carried no id, in one durable commit.
     */
    BatchResult record(Connection connection, Collection<String> requestIds, int anonymous) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(RECORD_BATCH)) {
            Array ids = connection.createArrayOf("text", requestIds.toArray());
            statement.setArray(1, ids);
            statement.setInt(2, anonymous);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                long total = rs.getLong(1);
                Set<String> fresh = new HashSet<>();
                for (Object id : (Object[]) rs.getArray(2).getArray()) {
                    fresh.add((String) id);
                }
                return new BatchResult(total, fresh);
            } finally {
                ids.free();
            }
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

    /** Deletes remembered request ids older than {@code retention}; returns how many. */
    int forgetOlderThan(Duration retention, Duration timeout) throws SQLException {
        try (Connection connection = Postgres.connection(dataSource, timeout);
             PreparedStatement statement = connection.prepareStatement(FORGET)) {
            statement.setLong(1, retention.toSeconds());
            return statement.executeUpdate();
        }
    }
}
