package dev.hitslb.servers;

import java.io.IOException;

/** POSIX signals by pid, through kill(1): the JDK sends only TERM and KILL. */
public final class Signals {
    private Signals() {}

    /** Sends {@code signal} (TERM, INT, KILL, STOP, CONT, ...) to {@code pid}; false if no such process. */
    public static boolean send(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            throw new IllegalStateException("could not run kill(1) to send SIG" + signal + " to " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends {@code signal} to {@code process} and every process it started (PostgreSQL serves each
     * connection from a child, nginx from its workers: a hang or a crash means all of them).
     */
    public static void sendToTree(ProcessHandle process, String signal) {
        send(process.pid(), signal);
        try (java.util.stream.Stream<ProcessHandle> children = process.descendants()) {
            children.forEach(child -> send(child.pid(), signal));
        }
    }
}
