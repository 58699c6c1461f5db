package dev.hitslb.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.servers.Ports;
import dev.hitslb.testing.Load.Answer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadTest {
    @Test
    void a_call_that_throws_is_an_answer_without_status_and_every_call_is_answered() {
        List<Answer> answers = Load.calls(20, 3, i -> {
            if (i == 7) {
                throw new IllegalStateException("boom");
            }
            return new Answer(System.nanoTime(), 200, 1, "hits-1", "{}");
        });
        assertThat(answers).hasSize(20);
        assertThat(Load.statuses(answers)).containsExactly(Map.entry(0, 1L), Map.entry(200, 19L));
        assertThat(Load.failed(answers))
                .singleElement()
                .satisfies(a -> assertThat(a.body()).contains("call 7", "boom"));
    }

    @Test
    void a_request_nothing_answers_is_status_0_not_an_exception() {
        URI nobody = URI.create("http://127.0.0.1:" + Ports.free() + "/");
        List<Answer> answers = Load.fixed(5, 2, i -> Load.page(nobody, "r-" + i));
        assertThat(answers).hasSize(5).allSatisfy(a -> assertThat(a.status()).isZero());
        assertThat(Load.get(nobody, Duration.ofSeconds(1)).status()).isZero();
    }

    @Test
    void medians_and_the_slowest_come_from_the_answers_kept() {
        List<Answer> answers = List.of(
                new Answer(0, 503, 900_000, "a", ""),
                new Answer(0, 503, 100_000, "a", ""),
                new Answer(0, 503, 500_000, "a", ""),
                new Answer(0, 200, 2_000_000, "b", ""));
        assertThat(Load.median(answers, 503)).isEqualTo(Duration.ofMillis(500));
        assertThat(Load.slowest(answers)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Load.count(answers, 503)).isEqualTo(3);
        assertThat(Load.byInstance(answers)).containsExactly(Map.entry("b", 1L));
    }
}
