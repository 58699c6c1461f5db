package dev.hitslb.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One server process we started: its log file, its pid file, and the signals the failure tests send.
 * A throwaway process also dies with this JVM (a shutdown hook), so a test run leaves nothing behind.
 */
public final class LocalProcess {
    private static final Set<LocalProcess> THROWAWAY = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> THROWAWAY.forEach(p -> p.stop(Duration.ofSeconds(2))),
                "local-servers-cleanup"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private LocalProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code command}, appending its output to {@code log} and writing its pid beside it
     * ({@code name.pid}). A throwaway process is ended when this JVM exits.
     */
    public static LocalProcess start(String name, List<String> command, Map<String, String> env, Path log,
                                     boolean throwaway) {
        if (!throwaway) {
            // A server that outlives this JVM (./stack) gets a session of its own, so closing the
            // terminal that started it (SIGHUP) does not end it. setsid execs in place: same pid.
            List<String> detached = new java.util.ArrayList<>(List.of("setsid"));
            detached.addAll(command);
            command = detached;
        }
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            // The working directory is the server's own folder: the reaper recognises our processes by it.
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(log.toAbsolutePath().getParent().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putAll(env);
            LocalProcess started = new LocalProcess(name, builder.start(), log);
            Files.writeString(log.resolveSibling(name + ".pid"), started.pid() + "\n");
            if (throwaway) {
                THROWAWAY.add(started);
            }
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + String.join(" ", command), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends a signal by name (TERM, INT, KILL, STOP, CONT) to this process only. */
    public void signal(String signal) {
        Signals.send(pid(), signal);
    }

    /** Sends a signal to this process and every process it started ({@link Signals#sendToTree}). */
    public void signalTree(String signal) {
        Signals.sendToTree(process.toHandle(), signal);
    }

    /** Waits for the process to exit; false when {@code timeout} passed first. */
    public boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** SIGTERM, then SIGKILL if it is still alive after {@code grace}. */
    public void stop(Duration grace) {
        stop("TERM", grace);
    }

    /** Sends {@code signal} (after SIGCONT, so a paused process can act on it), then SIGKILL after {@code grace}. */
    public void stop(String signal, Duration grace) {
        if (process.isAlive()) {
            signal("CONT");
            signal(signal);
            if (!awaitExit(grace)) {
                process.destroyForcibly();
                awaitExit(Duration.ofSeconds(5));
            }
        }
        THROWAWAY.remove(this);
    }

    /** The last {@code lines} lines of the log, for error messages. */
    public String logTail(int lines) {
        return Logs.tail(log, lines);
    }
}
