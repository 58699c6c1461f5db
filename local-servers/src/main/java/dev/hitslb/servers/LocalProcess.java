package dev.hitslb.servers;

import java.io.File;
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
    /**
     * Copies standard input into $1 until it holds $2 bytes, renames it $1.1 and starts again; exits at the end of
     * the input. GNU head -c reads no byte past its count, so nothing is lost at a rotation (a line may continue from
     * $1.1 into $1); stdbuf -o0 makes it write each read at once, where it would hold up to 8 KiB for a file (then
     * ./stack logs showed nothing of a replica that had started). The size is taken again at each round: a restarted
     * server appends to the log its last run left.
     */
    static final String LOG_ROTATOR = """
            log=$1 limit=$2
            while :; do
              size=$(wc -c < "$log" 2>/dev/null) || size=0
              if [ "$size" -ge "$limit" ]; then mv -f "$log" "$log.1" || exit 1; size=0; fi
              stdbuf -o0 head -c $((limit - size)) >> "$log" || exit 1
              [ "$(wc -c < "$log")" -ge "$limit" ] || exit 0
            done
            """;

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> THROWAWAY.forEach(p -> p.stop(Duration.ofSeconds(2))), "local-servers-cleanup"));
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
    public static LocalProcess start(
            String name, List<String> command, Map<String, String> env, Path log, boolean throwaway) {
        return start(name, command, env, log, 0, throwaway);
    }

    /**
     * {@link #start(String, List, Map, Path, boolean) start}, with the log bounded when {@code logLimit} is
     * positive: once {@code log} holds {@code logLimit} bytes it becomes {@code log.1} (replacing the one before)
     * and a new {@code log} begins, so the two hold at most twice the limit, the newest output. The process
     * writes into a pipe; a small shell loop of {@link #LOG_ROTATOR} reads it and writes the files. It must
     * outlive this JVM with the process it serves (./stack), so it cannot be a thread here, and it ends by
     * itself when the pipe closes.
     */
    public static LocalProcess start(
            String name, List<String> command, Map<String, String> env, Path log, long logLimit, boolean throwaway) {
        if (logLimit > 0) {
            Binaries.require("stdbuf"); // coreutils: the rotator's head writes each line as it comes
        }
        List<String> rotator = List.of(
                "sh", "-c", LOG_ROTATOR, "log-rotator", log.toAbsolutePath().toString(), Long.toString(logLimit));
        if (!throwaway) {
            // A server that outlives this JVM (./stack) gets a session of its own, so closing the
            // terminal that started it (SIGHUP) does not end it. setsid execs in place: same pid.
            command = detached(command);
            rotator = detached(rotator);
        }
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            File folder = log.toAbsolutePath().getParent().toFile();
            // The working directory is the server's own folder: the reaper recognises our processes by it.
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(folder)
                    .redirectErrorStream(true)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putAll(env);
            Process process;
            if (logLimit > 0) {
                // The pipe runs from one to the other directly; this JVM keeps no end of it.
                process = ProcessBuilder.startPipeline(List.of(
                                builder,
                                new ProcessBuilder(rotator)
                                        .directory(folder)
                                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                                        // Where a failing rotator (disk full, mv refused) says why: the
                                        // process it serves ignores a broken pipe, so its log just stops.
                                        .redirectError(ProcessBuilder.Redirect.appendTo(
                                                log.resolveSibling(name + ".log-rotator.err")
                                                        .toFile()))))
                        .getFirst();
            } else {
                process = builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
            }
            LocalProcess started = new LocalProcess(name, process, log);
            Files.writeString(log.resolveSibling(name + ".pid"), started.pid() + "\n");
            if (throwaway) {
                THROWAWAY.add(started);
            }
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + String.join(" ", command), e);
        }
    }

    private static List<String> detached(List<String> command) {
        List<String> detached = new java.util.ArrayList<>(List.of("setsid"));
        detached.addAll(command);
        return detached;
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
