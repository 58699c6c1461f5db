package dev.hitslb.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalProcessTest {
    /** 4,000 numbered lines of 100 bytes: 400,000 bytes, six times the limit below. */
    private static final List<String> CHATTY =
            List.of("sh", "-c", "i=1000; while [ $i -lt 5000 ]; do printf 'line %s %089d\\n' $i 0; i=$((i+1)); done");

    private static final long LIMIT = 64 * 1024;

    @Test
    void a_bounded_log_keeps_its_newest_bytes_in_two_files_within_the_limit(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("chatty.log");
        LocalProcess process = LocalProcess.start("chatty", CHATTY, Map.of(), log, LIMIT, true);
        assertThat(process.awaitExit(Duration.ofSeconds(20))).isTrue();
        // The log is written by a second process, which ends once it has read everything.
        Wait.until(
                "the last line in " + log,
                Duration.ofSeconds(10),
                () -> Logs.tail(log, 1).equals("line 4999 " + "0".repeat(89)));

        Path previous = dir.resolve("chatty.log.1");
        assertThat(Files.size(log)).as("the log").isPositive().isLessThanOrEqualTo(LIMIT);
        assertThat(Files.size(previous)).as("the previous log").isEqualTo(LIMIT);
        // Nothing lost at the rotation: the previous log runs on into the current one, byte for byte.
        String both = Files.readString(previous) + Files.readString(log);
        assertThat(both.lines().skip(1).toList())
                .as("whole lines after the first")
                .allSatisfy(line -> assertThat(line).hasSize(99));
        int first =
                Integer.parseInt(both.lines().skip(1).findFirst().orElseThrow().split(" ")[1]);
        assertThat(both.lines()
                        .skip(1)
                        .map(line -> Integer.parseInt(line.split(" ")[1]))
                        .toList())
                .as("consecutive lines")
                .isEqualTo(java.util.stream.IntStream.range(first, 5000).boxed().toList());
    }

    @Test
    void a_bounded_log_shows_each_line_while_the_process_runs(@TempDir Path dir) {
        Path log = dir.resolve("quiet.log");
        LocalProcess process = LocalProcess.start(
                "quiet", List.of("sh", "-c", "echo ready; exec sleep 30"), Map.of(), log, LIMIT, true);
        try {
            // Before stdbuf: held in head's buffer until 8 KiB or the end.
            Wait.until(
                    "'ready' in " + log,
                    Duration.ofSeconds(5),
                    () -> Logs.tail(log, 1).equals("ready"));
        } finally {
            process.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void an_unbounded_log_keeps_everything(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("chatty.log");
        LocalProcess process = LocalProcess.start("chatty", CHATTY, Map.of(), log, true);
        assertThat(process.awaitExit(Duration.ofSeconds(20))).isTrue();
        assertThat(Files.size(log)).isEqualTo(400_000);
        assertThat(dir.resolve("chatty.log.1")).doesNotExist();
    }
}
