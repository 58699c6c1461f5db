package dev.hitslb.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folders for throwaway servers, one parent per JVM ({@code <tmp>/hits-lb-throwaway/<jvm pid>/}).
 * A run killed before its shutdown hook ran leaves servers behind; the next run ends them: for every
 * parent whose JVM is gone, each recorded pid whose working directory is still inside that folder
 * (so a recycled pid is never touched) gets SIGKILL, and the folder is deleted.
 */
public final class ThrowawayDirs {
    private static final Logger log = LoggerFactory.getLogger(ThrowawayDirs.class);
    private static final Path ROOT = Path.of(System.getProperty("java.io.tmpdir"), "hits-lb-throwaway");
    private static Path mine;

    private ThrowawayDirs() {}

    /** A new folder for one server, under this JVM's parent folder. */
    public static synchronized Path create(String name) {
        try {
            if (mine == null) {
                reapOrphans(ROOT);
                mine = Files.createDirectories(
                        ROOT.resolve(Long.toString(ProcessHandle.current().pid())));
            }
            return Files.createTempDirectory(mine, name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a folder under " + ROOT, e);
        }
    }

    /** Ends what dead runs under {@code root} left running, and deletes their folders. */
    static void reapOrphans(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> runs = Files.list(root)) {
            for (Path run : runs.toList()) {
                long owner = parsePid(run.getFileName().toString());
                if (owner > 0 && ProcessHandle.of(owner).isEmpty()) {
                    reap(run);
                }
            }
        }
    }

    private static void reap(Path run) throws IOException {
        try (Stream<Path> files = Files.walk(run)) {
            for (Path pidFile : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                PidFile.process(pidFile).ifPresent(process -> {
                    log.info(
                            "ending {} (pid {}) left behind by a test run that died",
                            pidFile.getFileName(),
                            process.pid());
                    Signals.send(process.pid(), "KILL");
                });
            }
        }
        try (Stream<Path> files = Files.walk(run)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static long parsePid(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
