package dev.hitslb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakTest {
    private static final Duration RETENTION = Duration.ofSeconds(300); // --soak 10; swept every 60 s

    /** 1,000 ids a second: the table grows to retention + one sweep interval of ids, then a sweep drops it to retention. */
    private static List<Soak.Sample> sawtooth(long growthPerSweep) {
        List<Soak.Sample> samples = new ArrayList<>();
        for (long s = 30; s <= 600; s += 30) {
            long sinceSweep = s % 60;
            long rows = s < 300 ? s * 1000 : 300_000 + sinceSweep * 1000 + (s / 60) * growthPerSweep;
            samples.add(new Soak.Sample(s, rows, rows * 150));
        }
        return samples;
    }

    @Test
    void aTableThatSwingsBetweenSweepsAsDesignedIsFlat() {
        Bench.Check check = Soak.flat(sawtooth(0), RETENTION);

        assertThat(check.passed()).as(check.measured()).isTrue();
        assertThat(check.goal()).startsWith("from 360 s on");
        assertThat(check.measured()).startsWith("ids x1.00, bytes x1.00");
    }

    @Test
    void aTableTheSweepDoesNotKeepDownIsNotFlat() {
        Bench.Check check = Soak.flat(sawtooth(50_000), RETENTION);

        assertThat(check.passed()).as(check.measured()).isFalse();
    }

    @Test
    void fewerThanTwoSteadySamplesProveNothing() {
        Bench.Check check = Soak.flat(sawtooth(0).subList(0, 14), RETENTION); // 360, 390, 420 s

        assertThat(check.passed()).isFalse();
        assertThat(check.measured()).contains("too few");
    }

    @Test
    void theSweepIntervalIsTheServicesOwn() {
        assertThat(Soak.sweepEvery(Duration.ofSeconds(120))).isEqualTo(Duration.ofSeconds(30));
        assertThat(Soak.sweepEvery(Duration.ofSeconds(900))).isEqualTo(Duration.ofSeconds(60));
    }
}
