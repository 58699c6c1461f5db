package dev.hitslb.platform;

/** What callers tell the {@link DatabaseWatch} of their own round trips to the database. */
public interface DatabaseOutcomes {
    /** The database just answered: a probe that timed out meanwhile met a slow database, not a hung one. */
    void answered();

    /** A caller met the database down (refused, broken, or no answer in time): down until a probe gets an answer. */
    void failed(String why);
}
