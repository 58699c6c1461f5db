package dev.hitslb.platform;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether PostgreSQL answers, known before a request has to find out the slow way: a short circuit
 * breaker. Without it every replica learns of a stopped database only when a page load waits out the
 * pool's connection timeout, and nginx, trying each replica in turn, adds those waits up past a second.
 *
 * <p>On a connection of its own (a busy pool never looks like a dead database), every {@code EVERY}:
 * {@code SELECT 1}, bounded by {@code PROBE_TIMEOUT}. A refused or broken connection is known at once; a
 * hung database within {@code EVERY} + {@code PROBE_TIMEOUT}, before a page load that met it gives up
 * (DB_TIMEOUT_MS, 900 ms), so that when nginx moves it on to the next replica, that one already knows.
 * While down, callers fail at once ({@link #isUp}: a 503 without waiting), those already waiting are
 * failed ({@link #whenDown}), and readiness fails; the first probe that gets an answer closes the breaker.
 */
public final class DatabaseWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DatabaseWatch.class);
    /** How often it asks: the longest a stopped database goes unnoticed while nobody asks it anything. */
    private static final Duration EVERY = Duration.ofMillis(100);
    /**
     * A SELECT 1 slower than this counts as a hung database, unless a caller got an answer meanwhile.
     * With 500 ms a page load through nginx met the hang for 0.7-0.8 s in the suites, too close to the
     * contract's second; a busy machine (stress-ng in the suites) stays far below 300 ms.
     */
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);

    private final AppConfig config;
    private final ScheduledExecutorService probe;
    private Connection connection; // the probe thread's only
    /** Why the database counts as down; null while it answers. */
    private volatile String down;
    /** When a caller last got an answer ({@link System#nanoTime()}). */
    private volatile long lastAnswered = System.nanoTime();

    private final List<Runnable> whenDown = new CopyOnWriteArrayList<>();

    private DatabaseWatch(AppConfig config) {
        this.config = config;
        this.probe = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("postgres-watch").daemon().factory());
    }

    /** Starts watching; call once PostgreSQL is known to answer (after {@link Postgres#awaitStartup}). */
    public static DatabaseWatch start(AppConfig config) {
        DatabaseWatch watch = new DatabaseWatch(config);
        watch.probe.scheduleWithFixedDelay(watch::check, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return watch;
    }

    /** False while PostgreSQL is known not to answer: fail at once rather than wait for it. */
    public boolean isUp() {
        return down == null;
    }

    /** Runs {@code action} each time the database goes down (on the thread that found out). */
    public void whenDown(Runnable action) {
        whenDown.add(action);
    }

    /**
     * A caller's statement was just answered: a probe that times out now met a slow database (a busy
     * machine), not a hung one. Callers' failures are not reported: a commit that outlasts its
     * deadline waits on the disk (fsync), which a SELECT 1 does not, so only the probe decides.
     */
    public void answered() {
        lastAnswered = System.nanoTime();
    }

    /** "postgres" on /health/ready: required, the instance cannot count without it. */
    public HealthCheck healthCheck() {
        return HealthCheck.required("postgres", this::isUp);
    }

    private void check() {
        try {
            if (connection == null) {
                connection =
                        Postgres.connect(config, Math.max(1, config.dbTimeout().toSeconds()));
            }
            Postgres.limit(
                    connection, PROBE_TIMEOUT.compareTo(config.dbTimeout()) < 0 ? PROBE_TIMEOUT : config.dbTimeout());
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT 1");
            }
            answered();
            if (down != null) {
                log.info("PostgreSQL answers again (it was down: {})", down);
                down = null;
            }
        } catch (SQLException | RuntimeException e) {
            closeConnection();
            // A caller got an answer within the last EVERY: the database is slow to this probe (a busy
            // machine), not down. Not "since the probe began": a database that hung while the probe
            // waited answered the writer just before, and would be noticed a whole probe later.
            if (System.nanoTime() - lastAnswered > EVERY.toNanos()) {
                markDown(e.getMessage());
            }
        }
    }

    private void markDown(String why) {
        boolean wasUp;
        synchronized (this) {
            wasUp = down == null;
            down = why;
        }
        if (wasUp) {
            log.warn("PostgreSQL is down, page loads get a 503 at once until it answers: {}", why);
            whenDown.forEach(Runnable::run);
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken already
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        probe.shutdownNow();
        try {
            probe.awaitTermination(config.dbTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
