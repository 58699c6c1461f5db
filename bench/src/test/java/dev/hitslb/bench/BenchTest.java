package dev.hitslb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BenchTest {
    private static final Bench.Load WARM = new Bench.Load("(c)", 10_000, 5, 10, 200_000, 0, Map.of());

    /** nginx's count per second: 8,000 a second from {@code from} to {@code to}, but 100 in the first second after ready. */
    private static Map<Long, Long> perSecond(long from, long to) {
        Map<Long, Long> seconds = new TreeMap<>();
        for (long s = from; s <= to; s++) {
            seconds.put(s, s == 101 ? 100L : 8_000L);
        }
        return seconds;
    }

    @Test
    void theCpuTableNamesARunByItsLabelUpToTheColon() {
        assertThat(Bench.shortLabel("(c) run 2: 3 replicas behind nginx, round_robin"))
                .isEqualTo("(c) run 2");
        assertThat(Bench.shortLabel("no colon")).isEqualTo("no colon");
    }

    @Test
    void aRollingRestartCountsTheWholeSecondsAfterReadyAgainstWarm() {
        // Ready during second 100: seconds 101..110 count, (100 + 9 x 8,000) / 10 = 7,210 a second.
        assertThat(Bench.rollingRestart(perSecond(95, 125), 100, WARM))
                .endsWith(": 7,210 req/s through nginx, 72 % of (c)");
    }

    @Test
    void aRollingRestartIsNotMeasuredWhenTheLoadEndsWithinTheWindow() {
        // The log's last two seconds may be partial: ending at 111, second 110 (the window's last) is one of them.
        assertThat(Bench.rollingRestart(perSecond(95, 111), 100, WARM)).contains("not measured");
        assertThat(Bench.rollingRestart(perSecond(95, 112), 100, WARM)).contains("72 %");
    }
}
