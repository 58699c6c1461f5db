package dev.hitslb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    private static final String BEFORE =
            "127.0.0.1 [24/Nov/2026:00:30:35 +0000] \"GET / HTTP/1.1\" 503 36 rt=0.003 upstream=- ustatus=- urt=- rid=a\n";
    private static final String DURING =
            "127.0.0.1 [24/Nov/2026:00:30:36 +0000] \"GET / HTTP/1.1\" 200 36 rt=0.003 upstream=127.0.0.1:19083 ustatus=200 urt=0.003 rid=b\n"
                    + "127.0.0.1 [24/Nov/2026:00:30:36 +0000] \"GET / HTTP/1.1\" 200 36 rt=0.005 upstream=127.0.0.1:19081 ustatus=200 urt=0.004 rid=c\n"
                    + "127.0.0.1 [24/Nov/2026:01:30:37 +0100] \"GET / HTTP/1.1\" 502 36 rt=1.005 upstream=127.0.0.1:19081 ustatus=502 urt=1.004 rid=d\n";

    @TempDir
    Path dir;

    private Path log;

    @BeforeEach
    void writeLog() throws Exception {
        log = dir.resolve("access.log");
        Files.writeString(log, BEFORE + DURING + BEFORE);
    }

    @Test
    void statusesAreCountedBetweenTwoOffsets() throws Exception {
        assertThat(AccessLog.statuses(log, BEFORE.length(), BEFORE.length() + DURING.length()))
                .isEqualTo(Map.of(200, 2L, 502, 1L));
    }

    @Test
    void requestsAreCountedPerSecondOfNginxsClockInItsZone() throws Exception {
        long second = Instant.parse("2026-11-24T00:30:36Z").getEpochSecond();
        assertThat(AccessLog.perSecond(log, BEFORE.length(), BEFORE.length() + DURING.length()))
                .isEqualTo(Map.of(second, 2L, second + 1, 1L));
    }
}
