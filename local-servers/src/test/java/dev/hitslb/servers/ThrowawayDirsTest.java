package dev.hitslb.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThrowawayDirsTest {
    @Test
    void a_dead_runs_servers_are_ended_and_nothing_else(@TempDir Path root, @TempDir Path elsewhere) throws Exception {
        Path deadRun = Files.createDirectories(root.resolve("99999999").resolve("redis-1"));
        Process leftBehind =
                new ProcessBuilder("sleep", "60").directory(deadRun.toFile()).start();
        Process notOurs =
                new ProcessBuilder("sleep", "60").directory(elsewhere.toFile()).start();
        try {
            Files.writeString(deadRun.resolve("redis.pid"), leftBehind.pid() + "\n");
            // A pid file naming a process that does not run inside the folder: a recycled pid.
            Files.writeString(deadRun.resolve("postgres.pid"), notOurs.pid() + "\n");

            ThrowawayDirs.reapOrphans(root);

            assertThat(leftBehind.waitFor(5, java.util.concurrent.TimeUnit.SECONDS))
                    .as("left-behind server ended")
                    .isTrue();
            assertThat(notOurs.isAlive())
                    .as("a process outside the folder is never touched")
                    .isTrue();
            assertThat(root.resolve("99999999")).doesNotExist();
        } finally {
            leftBehind.destroyForcibly();
            notOurs.destroyForcibly();
        }
    }

    @Test
    void a_live_runs_folder_is_left_alone(@TempDir Path root) throws Exception {
        Path liveRun = Files.createDirectories(
                root.resolve(Long.toString(ProcessHandle.current().pid())).resolve("x"));
        ThrowawayDirs.reapOrphans(root);
        assertThat(liveRun).exists();
    }
}
