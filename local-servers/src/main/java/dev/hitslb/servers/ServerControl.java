package dev.hitslb.servers;

/** What the failure tests and ./stack do to a server: stop, start, kill, pause (a hang), resume. */
public interface ServerControl extends AutoCloseable {
    void start();

    void stop();

    void kill();

    void pause();

    void resume();

    boolean isRunning();

    @Override
    void close();
}
