package dev.hitslb.hits;

import dev.hitslb.platform.DatabaseUnavailableException;
import dev.hitslb.platform.HealthCheck;
import dev.hitslb.platform.Postgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts page loads with group commit: requests queue up, and one writer thread records everything
 * queued in a single durable statement. A durable commit costs about the same for one hit or five
 * hundred, so under load the service commits a few hundred times a second instead of once per hit.
 *
 * <p>A request waits at most {@code timeout} for its batch to start. The writer claims each request
 * before it sends the batch; a request that gave up first is left out, so a client told "503" was
 * not counted. The one case no design can close: the statement was sent and the connection broke
 * (PostgreSQL hung or crashed) before the answer came back. PostgreSQL may have committed it; those
 * clients get a 503 that says so, and {@code hits_in_doubt_total} counts them. A retry with the same
 * X-Request-Id (nginx retries with the same id) is recognised and never counted twice, for as long
 * as ids are remembered; so a page load sent longer than {@code maxWait} ago (well under that) is not
 * counted, and neither is a batch whose oldest request was, however long this process stalled: their
 * clients, long gone, were told nothing. A request's age starts when nginx sent it (X-Request-Start), so
 * the time it sat in this process's socket buffer while the process was stopped counts too.
 */
final class HitCounter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HitCounter.class);
    private static final int MAX_BATCH = 1_000;
    private static final int DEADLOCK_RETRIES = 3;
    private static final Duration LINGER = Duration.ofMillis(2);
    /** A batch this big goes at once: waiting longer saves little more. */
    private static final int FULL_ENOUGH = 64;

    static final String IN_DOUBT = "the database did not confirm in time; the hit may have been counted,"
            + " and a retry with the same X-Request-Id is never counted twice";

    private final HitRepository repository;
    private final TotalView totalView;
    private final HitMetrics metrics;
    private final Duration timeout;
    private final Duration maxWait;
    private final Runnable databaseAnswered;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** The batch the writer has taken from the queue: waiting for a connection, or its statement on its way. */
    private volatile List<Pending> taken = List.of();

    private final Thread writer;
    private volatile boolean closed;
    /** Why the writer stopped before {@link #close}; null while it runs. */
    private volatile Throwable died;

    /**
     * {@code databaseAnswered} runs each time the database answered a batch (see DatabaseWatch#answered);
     * {@code maxWait}: the longest a request may have waited and still be counted.
     */
    HitCounter(
            HitRepository repository,
            TotalView totalView,
            HitMetrics metrics,
            Duration timeout,
            Duration maxWait,
            Runnable databaseAnswered) {
        this.repository = repository;
        this.totalView = totalView;
        this.metrics = metrics;
        this.timeout = timeout;
        this.maxWait = maxWait;
        this.databaseAnswered = databaseAnswered;
        metrics.waiting(() -> queue.size() + taken.size());
        this.writer = Thread.ofPlatform().name("hit-writer").daemon(false).start(this::writeLoop);
    }

    /**
     * Counts one page load, once per {@code requestId} (null: no id, counted once), and returns the
     * total right after it was counted; for a retry of a request counted before, the current total.
     * {@code sentAt}: when nginx sent it on (null, or later than now: now).
     *
     * @throws DatabaseUnavailableException when PostgreSQL does not answer within the timeout, or the
     *     page load was sent more than {@code maxWait} ago
     */
    long count(String requestId, Instant sentAt) {
        if (closed) {
            throw new DatabaseUnavailableException("the service is shutting down");
        }
        if (died != null) {
            throw writerDied();
        }
        Instant wallNow = Instant.now();
        Instant arrivedAt = sentAt == null || sentAt.isAfter(wallNow) ? wallNow : sentAt;
        if (Duration.between(arrivedAt, wallNow).compareTo(maxWait) > 0) {
            metrics.hitsTooLate.inc();
            throw tooLate();
        }
        long now = System.nanoTime();
        Pending pending = new Pending(requestId, now, now + timeout.toNanos(), arrivedAt);
        queue.add(pending);
        if (died != null && pending.abandon()) { // it died after the check above: nobody will take it
            throw writerDied();
        }
        try {
            return pending.result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (pending.abandon()) {
                throw new DatabaseUnavailableException(
                        "the database did not answer within " + timeout.toMillis() + " ms");
            }
            // The writer claimed it first: its statement is bounded by the same deadline, so wait for it.
            return await(pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.abandon();
            throw new DatabaseUnavailableException("interrupted while counting", e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static long await(Pending pending) {
        try {
            return pending.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatabaseUnavailableException("interrupted while counting", e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        return e.getCause() instanceof RuntimeException runtime
                ? runtime
                : new DatabaseUnavailableException("counting failed", e.getCause());
    }

    /**
     * Runs the loop; if it ever ends before {@link #close} (an Error such as OutOfMemoryError or
     * StackOverflowError, an interrupt, a bug), says so once, fails everything waiting, and from then on
     * {@link #healthCheck} is DOWN (/health/ready: 503) and every count fails at once instead of timing out.
     */
    private void writeLoop() {
        Throwable cause = null;
        try {
            writeUntilClosed();
        } catch (Throwable t) {
            cause = t;
        }
        if (closed && cause == null) {
            return;
        }
        died = cause != null ? cause : new IllegalStateException("interrupted");
        try {
            log.error("hit writer died; /health/ready fails from now on and every page load gets a 503", died);
        } finally {
            List<Pending> waiting = new ArrayList<>();
            queue.drainTo(waiting);
            waiting.forEach(p -> p.fail(writerDied()));
        }
    }

    private DatabaseUnavailableException tooLate() {
        return new DatabaseUnavailableException("sent more than " + maxWait.toSeconds()
                + " s ago, too late to be counted exactly once (this process stalled): not counted");
    }

    private DatabaseUnavailableException writerDied() {
        // The client learns that counting stopped, not why: the cause is in the log, said once.
        return new DatabaseUnavailableException("counting is unavailable on this instance", died);
    }

    /** "hit-writer" on /health/ready: required, DOWN once the writer died (nothing would be counted). */
    HealthCheck healthCheck() {
        return HealthCheck.required("hit-writer", () -> died == null);
    }

    private void writeUntilClosed() throws InterruptedException {
        List<Pending> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                gather(first, batch);
                writeBatch(batch);
            } catch (RuntimeException e) {
                log.error("hit writer: unexpected failure", e);
                batch.forEach(p -> p.fail(new IllegalStateException("counting failed", e)));
            } catch (Throwable t) {
                batch.forEach(p -> p.fail(new DatabaseUnavailableException("counting failed", t)));
                throw t;
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Lets a batch fill for up to {@code LINGER} after its first request arrived (PostgreSQL's
     * commit_delay, done where the hits queue up): a commit costs about the same CPU for one hit or a
     * hundred, so bigger batches mean more page loads a second (bench/); 2 ms bounds the added latency.
     */
    private void gather(Pending first, List<Pending> batch) throws InterruptedException {
        queue.drainTo(batch, MAX_BATCH - batch.size());
        long wait = first.arrived + LINGER.toNanos() - System.nanoTime();
        if (wait > 0 && batch.size() < FULL_ENOUGH) {
            TimeUnit.NANOSECONDS.sleep(wait);
            queue.drainTo(batch, MAX_BATCH - batch.size());
        }
    }

    private void writeBatch(List<Pending> batch) {
        taken = List.copyOf(batch);
        try {
            writeTaken(batch);
        } finally {
            taken = List.of();
        }
    }

    private void writeTaken(List<Pending> batch) {
        Connection connection;
        try {
            connection = repository.connection();
        } catch (SQLException e) {
            // Nothing was sent: fail this batch and everything queued behind it, quickly.
            queue.drainTo(batch);
            fail(batch, new DatabaseUnavailableException("the database is unavailable", e));
            return;
        }
        try (connection) {
            batch.removeIf(pending -> !pending.claim());
            if (batch.isEmpty()) {
                return;
            }
            // Every request of the batch is waiting on this statement: bound it by the earliest deadline.
            long earliest = batch.stream().mapToLong(p -> p.deadline).min().orElseThrow();
            long remainingMs = Math.max(50, TimeUnit.NANOSECONDS.toMillis(earliest - System.nanoTime()));
            Postgres.limit(connection, Duration.ofMillis(remainingMs));
            HitRepository.BatchResult result = recordWithRetry(connection, batch);
            databaseAnswered.run();
            if (result == null) {
                int late = answerFailed(batch, tooLate());
                metrics.hitsTooLate.inc(late);
                log.warn(
                        "hit writer: {} page load(s) sent more than {} s ago (this process stalled): not counted",
                        late,
                        maxWait.toSeconds());
                return;
            }
            answer(batch, result);
        } catch (SQLException e) {
            if (isConnectionLost(e)) {
                // The statement was sent and no answer came: PostgreSQL may have committed it.
                metrics.hitsInDoubt.inc(fail(batch, new DatabaseUnavailableException(IN_DOUBT, e)));
            } else {
                fail(batch, new DatabaseUnavailableException("the database is unavailable", e));
            }
        }
    }

    /**
     * The database went down (the watch found out): everything waiting fails now instead of at its
     * deadline, so that nginx can move on at once. Queued page loads are not counted; those whose
     * statement was already sent are in doubt (PostgreSQL may still commit it), and say so.
     */
    void failWaiting() {
        // Not sent: those still queued, and those the writer took but has not claimed (it is waiting
        // for a connection); claimed here, the writer leaves them out. Claimed by the writer: sent.
        List<Pending> notSent = new ArrayList<>();
        queue.drainTo(notSent);
        List<Pending> sent = new ArrayList<>();
        for (Pending pending : taken) {
            (pending.claim() ? notSent : sent).add(pending);
        }
        fail(notSent, new DatabaseUnavailableException("the database is unavailable"));
        metrics.hitsInDoubt.inc(fail(sent, new DatabaseUnavailableException(IN_DOUBT)));
    }

    /** SQLState class 08: the connection broke (timeout, reset); any other error means nothing committed. */
    private static boolean isConnectionLost(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    /** Fails those of {@code batch} still waiting (claiming those not yet claimed) and returns how many. */
    private int fail(List<Pending> batch, DatabaseUnavailableException failure) {
        int failed = answerFailed(batch, failure);
        if (failed > 0) {
            metrics.dbFailures.inc();
            log.warn(
                    "hit writer: {} ({}); failing {} request(s)",
                    failure.getMessage(),
                    failure.getCause() == null
                            ? "the database watch found it down"
                            : failure.getCause().getMessage(),
                    failed);
        }
        return failed;
    }

    /** {@link #fail} without the metric and the log line. */
    private static int answerFailed(List<Pending> batch, DatabaseUnavailableException failure) {
        int failed = 0;
        for (Pending pending : batch) {
            if ((pending.claim() || pending.isClaimed()) && pending.fail(failure)) {
                failed++;
            }
        }
        return failed;
    }

    private HitRepository.BatchResult recordWithRetry(Connection connection, List<Pending> batch) throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        int anonymous = 0;
        for (Pending pending : batch) {
            if (pending.requestId == null) {
                anonymous++;
            } else {
                ids.add(pending.requestId);
            }
        }
        Instant oldest =
                batch.stream().map(p -> p.arrivedAt).min(Instant::compareTo).orElseThrow();
        for (int attempt = 1; ; attempt++) {
            try {
                return repository.record(connection, ids, anonymous, oldest, maxWait);
            } catch (SQLException e) {
                // 40P01 deadlock, 40001 serialization failure: nothing was written, try again.
                boolean retryable = "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
                if (!retryable || attempt == DEADLOCK_RETRIES) {
                    throw e;
                }
            }
        }
    }

    /** Hands out totals in batch order: the first new hit gets total - counted + 1, the last gets total. */
    private void answer(List<Pending> batch, HitRepository.BatchResult result) {
        Set<String> freshNotYetAnswered = new HashSet<>(result.freshIds());
        long counted = result.freshIds().size()
                + batch.stream().filter(p -> p.requestId == null).count();
        long next = result.total() - counted + 1;
        long[] answers = new long[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            String id = batch.get(i).requestId;
            boolean isNew = id == null || freshNotYetAnswered.remove(id);
            answers[i] = isNew ? next++ : result.total();
        }
        metrics.hitsCounted.inc(counted);
        metrics.hitsReplayed.inc(batch.size() - counted);
        metrics.batchSize.observe(batch.size());
        // The cache learns the new total before any client does, so no reader sees it behind a response.
        totalView.committed(result.total());
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result.complete(answers[i]);
        }
    }

    /** Stops taking hits, records everything already queued, and stops the writer. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(timeout.toMillis() * 4 + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One page load waiting for its batch. */
    private static final class Pending {
        private static final int WAITING = 0;
        private static final int CLAIMED = 1;
        private static final int ABANDONED = 2;

        final String requestId;
        final long arrived;
        final long deadline;
        /** When it arrived by the wall clock, which PostgreSQL's clock is compared with (see HitRepository). */
        final Instant arrivedAt;

        final CompletableFuture<Long> result = new CompletableFuture<>();
        private final AtomicInteger state = new AtomicInteger(WAITING);

        Pending(String requestId, long arrived, long deadline, Instant arrivedAt) {
            this.requestId = requestId;
            this.arrived = arrived;
            this.deadline = deadline;
            this.arrivedAt = arrivedAt;
        }

        /** The writer takes it: from now on the client waits for the batch's outcome. */
        boolean claim() {
            return state.compareAndSet(WAITING, CLAIMED);
        }

        boolean isClaimed() {
            return state.get() == CLAIMED;
        }

        /** The client gives up first: the writer will leave it out. */
        boolean abandon() {
            return state.compareAndSet(WAITING, ABANDONED);
        }

        /** False when it was answered or failed already. */
        boolean fail(RuntimeException failure) {
            return result.completeExceptionally(failure);
        }
    }
}
