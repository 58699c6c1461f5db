package dev.hitslb.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a server we started from its pid file, in this JVM or a later one (./stack). A pid is taken as
 * ours only while that process runs with its working directory inside the pid file's folder, so a
 * recycled pid that now belongs to something else is never signalled.
 */
public final class PidFile {
    private PidFile() {
    }

    /** The live process recorded in {@code pidFile}, if it is still the one we started. */
    public static Optional<ProcessHandle> process(Path pidFile) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        Path folder = pidFile.toAbsolutePath().getParent();
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> workingDirIsInside(p.pid(), folder));
    }

    /** Whether {@code pid} is stopped (SIGSTOP): state T in /proc/PID/stat. */
    public static boolean isStopped(long pid) {
        char state = state(pid);
        return state == 'T' || state == 't';
    }

    /**
     * Whether {@code process} has ended. A process whose parent is gone (started by an earlier ./stack)
     * stays a zombie, still "alive" to the JDK, until init reaps it, which can take seconds.
     */
    public static boolean hasExited(ProcessHandle process) {
        return !process.isAlive() || state(process.pid()) == 'Z';
    }

    /** The state letter in /proc/PID/stat (R, S, T, Z, ...), or '?' when there is no such process. */
    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces and parentheses).
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException | RuntimeException e) {
            return '?';
        }
    }

    private static boolean workingDirIsInside(long pid, Path folder) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).startsWith(folder);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
