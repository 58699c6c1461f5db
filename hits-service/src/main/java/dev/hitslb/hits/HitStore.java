package dev.hitslb.hits;

/** What the HTTP layer needs from the counting; {@link HitsBackend} is the real one, a test may fake it. */
interface HitStore {
    /**
     * Counts one page load, once per {@code requestId} (null: no id, counted once), and returns the total.
     *
     * @throws dev.hitslb.platform.DatabaseUnavailableException when PostgreSQL does not answer in time
     */
    long count(String requestId);

    /** The current total, counting nothing. */
    long total();
}
