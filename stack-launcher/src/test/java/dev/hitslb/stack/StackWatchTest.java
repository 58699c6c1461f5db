package dev.hitslb.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.lb.Algorithm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StackWatchTest {
    // Lines as nginx writes them with the upstream_log format of lb-config's nginx.conf.
    private static final String ANSWERED = "127.0.0.1 [23/Nov/2026:17:30:01 +0000] \"GET / HTTP/1.1\" 200 31 rt=0.004 "
            + "upstream=127.0.0.1:8081 ustatus=200 urt=0.004 rid=0f3c";
    private static final String RETRIED = "127.0.0.1 [23/Nov/2026:17:30:01 +0000] \"GET / HTTP/1.1\" 200 31 rt=0.010 "
            + "upstream=127.0.0.1:8082, 127.0.0.1:8083 ustatus=502, 200 urt=0.000, 0.009 rid=1a2b";
    private static final String NGINX_503 = "127.0.0.1 [23/Nov/2026:17:30:02 +0000] \"GET / HTTP/1.1\" 503 74 rt=0.000 "
            + "upstream=- ustatus=- urt=- rid=9c9c";

    @Test
    void a_line_gives_the_status_and_the_replica_that_answered_last() {
        assertThat(StackWatch.parse(ANSWERED)).contains(new StackWatch.Answer(200, Optional.of("127.0.0.1:8081")));
        assertThat(StackWatch.parse(RETRIED)).contains(new StackWatch.Answer(200, Optional.of("127.0.0.1:8083")));
        assertThat(StackWatch.parse(NGINX_503)).contains(new StackWatch.Answer(503, Optional.empty()));
        assertThat(StackWatch.parse("nginx: [warn] something else")).isEmpty();
    }

    @Test
    void a_screen_shows_each_replicas_rate_nginxs_errors_and_the_total() {
        StackLayout layout = StackLayout.standard(
                Path.of("/tmp/x"), StackLayoutTest.HITS, Algorithm.ROUND_ROBIN, 3, 8080, Path.of("hits-service.jar"));
        StackWatch.Counts counts = StackWatch.count(List.of(ANSWERED, ANSWERED, RETRIED, NGINX_503));
        Map<String, String> states = Map.of(
                "postgres",
                "running",
                "redis",
                "running",
                "hits-1",
                "running",
                "hits-2",
                "down",
                "hits-3",
                "running",
                "hits-backup",
                "running",
                "nginx",
                "running");

        String screen = StackWatch.frame(
                layout,
                states,
                Map.of("hits-1", 101L),
                counts,
                Duration.ofSeconds(2),
                "1,234",
                LocalTime.of(17, 30, 2));

        assertThat(screen).contains("hits-lb  round_robin  http://127.0.0.1:8080/   17:30:02");
        assertThat(screen.lines()).anySatisfy(l -> assertThat(l).matches("hits-1 +running +101 +1\\.0 *"));
        assertThat(screen.lines()).anySatisfy(l -> assertThat(l).matches("hits-2 +down +- +0\\.0 *"));
        assertThat(screen.lines()).anySatisfy(l -> assertThat(l).matches("hits-3 +running +- +0\\.5 *"));
        assertThat(screen.lines()).anySatisfy(l -> assertThat(l).matches("nginx +running +- +2\\.0 +0\\.5"));
        assertThat(screen).contains("total in PostgreSQL: 1,234");
    }
}
