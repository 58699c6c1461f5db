package dev.hitslb.servers;

import java.time.Duration;

/**
 * What {@link NginxServer}, {@link PostgresServer} and {@link RedisServer} share: one {@link LocalProcess}, set by
 * {@link #start}, and the same kill, pause, resume and close. Each server says how it starts and stops gracefully.
 */
public abstract class LocalServer implements ServerControl {
    /** The running server; null before the first {@link #start}. */
    protected LocalProcess process;

    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** A crash: SIGKILL to the server and every process it started, then up to 10 s for it to exit. */
    @Override
    public void kill() {
        if (process != null) {
            process.signalTree("KILL");
            process.awaitExit(Duration.ofSeconds(10));
        }
    }

    /** A hang: SIGSTOP to the server and every process it started. */
    @Override
    public void pause() {
        process.signalTree("STOP");
    }

    @Override
    public void resume() {
        process.signalTree("CONT");
    }

    @Override
    public void close() {
        stop();
    }
}
