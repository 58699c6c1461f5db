package dev.hitslb.hits;

import java.time.Instant;

/** What the HTTP layer needs from the counting; {@link HitsBackend} is the real one, a test may fake it. */
interface HitStore {
    /**
     * Counts one page load, once per {@code requestId} (null: no id, counted once), and returns the total.
     * {@code sentAt}: when nginx sent it on (null: now); one sent too long ago is not counted.
     *
     * @throws dev.hitslb.platform.DatabaseUnavailableException when PostgreSQL does not answer in time, or
     *     the page load waited too long to be counted
     */
    long count(String requestId, Instant sentAt);

    /** The current total, counting nothing. */
    long total();
}
