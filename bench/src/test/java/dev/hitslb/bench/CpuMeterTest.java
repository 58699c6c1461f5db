package dev.hitslb.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuMeterTest {
    @Test
    void machineBusyIsEverythingButIdleIowaitAndStealInHundredthsOfASecond() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        String procStat = "cpu  700 10 200 5000 300 0 90 40 0 0\ncpu0 350 5 100 2500 150 0 45 20 0 0\n";

        assertThat(CpuMeter.machineBusy(procStat)).isEqualTo(Duration.ofMillis(10 * (700 + 10 + 200 + 90)));
    }

    @Test
    void somethingElseThanProcStatIsRefused() {
        assertThatThrownBy(() -> CpuMeter.machineBusy("intr 1 2 3\n")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void perRequestSplitsTheMachinesBusyTimeIntoPartsAndTheRest() {
        var before = new CpuMeter.Snapshot(
                Map.of(
                        "replicas", Map.of(1L, Duration.ofMillis(100), 2L, Duration.ofMillis(100)),
                        "PostgreSQL", Map.of(3L, Duration.ofMillis(50))),
                Duration.ofSeconds(10));
        var after = new CpuMeter.Snapshot(
                new java.util.LinkedHashMap<>(Map.of(
                        "replicas", Map.of(1L, Duration.ofMillis(400), 2L, Duration.ofMillis(400)),
                        // 4 is a backend that started during the run: all of its time is in the run
                        "PostgreSQL", Map.of(3L, Duration.ofMillis(150), 4L, Duration.ofMillis(100)))),
                Duration.ofSeconds(12));

        Map<String, Double> micros = CpuMeter.perRequest(before, after, 1000);

        assertThat(micros)
                .containsEntry("replicas", 600.0)
                .containsEntry("PostgreSQL", 200.0)
                .containsEntry(CpuMeter.REST, 1200.0)
                .containsEntry(CpuMeter.TOTAL, 2000.0);
    }

    @Test
    void threadCpuIsUserPlusSystemTimeEvenWhenTheThreadsNameHoldsSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (C2 Compiler) x) S 4200 4200 4200 0 -1 4194368 900 0 0 0 731 42 0 0 20 0 30 0\n";

        assertThat(CpuMeter.threadCpu(stat)).isEqualTo(Duration.ofMillis(10 * (731 + 42)));
    }

    @Test
    void compilerCpuReadsThisJvmsThreadsAndIsNothingForAProcessThatIsGone() {
        assertThat(CpuMeter.compilerCpu(ProcessHandle.current().pid())).isGreaterThanOrEqualTo(Duration.ZERO);
        assertThat(CpuMeter.compilerCpu(Long.MAX_VALUE)).isZero();
    }
}
