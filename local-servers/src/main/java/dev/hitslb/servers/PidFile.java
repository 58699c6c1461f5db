package dev.hitslb.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds a server we started from its pid file, in this JVM or a later one (./stack). A pid is taken as
 * ours only while that process runs with its working directory inside the pid file's folder, so a
 * recycled pid that now belongs to something else is never signalled.
 */
public final class PidFile {
    private PidFile() {}

    /** The live process recorded in {@code pidFile}, if it is still the one we started. */
    public static Optional<ProcessHandle> process(Path pidFile) {
        Path folder = pidFile.toAbsolutePath().getParent();
        return recorded(pidFile)
                .flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(p -> workingDirIsInside(p.pid(), folder));
    }

    /**
     * Processes the one in {@code pidFile} left behind: still in the session it led (./stack starts each
     * server with setsid, so its children share that session), working inside the pid file's folder,
     * with the leader itself gone or not. nginx's workers after a SIGKILL of their master are such
     * leftovers: they keep the port and answer. A recycled session id is no risk: Linux reuses no pid
     * while a session or group of that id still exists, and the working directory must match too.
     */
    public static List<ProcessHandle> leftovers(Path pidFile) {
        Optional<Long> leader = recorded(pidFile);
        if (leader.isEmpty()) {
            return List.of();
        }
        Path folder = pidFile.toAbsolutePath().getParent();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.pid() != leader.get()
                            && session(p.pid()) == leader.get()
                            && !hasExited(p)
                            && workingDirIsInside(p.pid(), folder))
                    .toList();
        }
    }

    private static Optional<Long> recorded(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
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
        return stat(pid, 0).map(field -> field.charAt(0)).orElse('?');
    }

    /** The session id in /proc/PID/stat, or -1 when there is no such process. */
    private static long session(long pid) {
        return stat(pid, 3).map(Long::parseLong).orElse(-1L);
    }

    /** Field {@code index} of /proc/PID/stat counted from the state (0: state, 1: ppid, 2: pgrp, 3: session). */
    private static Optional<String> stat(long pid, int index) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ppid pgrp session ...": the fields follow the last ')' (comm may contain spaces and
            // parentheses).
            return Optional.of(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[index]);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean workingDirIsInside(long pid, Path folder) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"))
                    .startsWith(folder);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
