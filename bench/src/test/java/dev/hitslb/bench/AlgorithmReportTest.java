package dev.hitslb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlgorithmReportTest {
    private static final AlgorithmReport.Run CORRECT = new AlgorithmReport.Run(
            "round_robin", Map.of("hits-1", 500L, "hits-2", 250L, "hits-3", 250L), 2, 9, 40, 0, 3, -1, 160, 1000);

    @Test
    void a_run_is_correct_when_postgresql_counted_every_2xx_once_and_nothing_failed() {
        assertThat(CORRECT.passed()).isTrue();
        assertThat(AlgorithmReport.verdict("even", List.of(CORRECT))).isEmpty();
    }

    @Test
    void the_verdict_names_a_lost_page_load_a_double_count_and_a_failed_request() {
        AlgorithmReport.Run lost = new AlgorithmReport.Run("hash", Map.of("hits-1", 10L), 1, 1, 1, 0, 0, 0, 5, 9);
        AlgorithmReport.Run twice = new AlgorithmReport.Run("sticky", Map.of("hits-1", 10L), 1, 1, 1, 0, 0, 0, 5, 11);
        AlgorithmReport.Run failed =
                new AlgorithmReport.Run("least_conn", Map.of("hits-1", 10L), 1, 1, 1, 2, 0, -1, 5, 10);

        assertThat(AlgorithmReport.verdict("hung", List.of(lost, twice, failed)))
                .containsExactly(
                        "hung, hash: 10 page loads answered 2xx but PostgreSQL's total grew by 9 (lost)",
                        "hung, sticky: 10 page loads answered 2xx but PostgreSQL's total grew by 11 (counted twice)",
                        "hung, least_conn: 2 requests failed although healthy replicas were there to retry on");
    }

    @Test
    void the_table_has_a_row_per_algorithm_with_each_replicas_share() {
        AlgorithmReport.Run hash = new AlgorithmReport.Run(
                "hash", Map.of("hits-1", 600L, "hits-3", 400L), 3, 12.5, 2100, 0, 40, 7, 160, 999);

        String table = AlgorithmReport.table(List.of(CORRECT, hash), "hits-2");

        assertThat(table.lines()).hasSize(4);
        assertThat(table.lines().findFirst().orElseThrow())
                .startsWith("| algorithm | hits-1 | hits-2 (disturbed) | hits-3 | p50 | p99 | max |");
        assertThat(table)
                .contains(
                        "| round_robin | 50.0 % | 25.0 % | 25.0 % | 2.00 ms | 9.00 ms | 40.0 ms | 0 | 3 | – | yes (1000) |");
        assertThat(table)
                .contains(
                        "| hash | 60.0 % | 0.0 % | 40.0 % | 3.00 ms | 12.5 ms | 2100.0 ms | 0 | 40 | 7 of 160 | **no**: 1000 2xx, total +999 |");
    }

    @Test
    void the_chart_is_an_svg_with_a_bar_pair_per_algorithm() {
        String svg = AlgorithmReport.chart("hung: <hits-2> paused", List.of(CORRECT), "hits-2");

        assertThat(svg).startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"").endsWith("</svg>\n");
        assertThat(svg)
                .contains("hung: &lt;hits-2&gt; paused", ">round_robin<", ">9.00 ms<", ">25.0 %<", "scale 0 to 10");
    }

    @Test
    void without_a_disturbed_replica_the_chart_shows_the_busiest_replicas_share() {
        assertThat(AlgorithmReport.chart("skewed", List.of(CORRECT), null))
                .contains("the busiest replica's share", ">50.0 %<");
    }

    @Test
    void an_axis_ends_at_a_round_number() {
        assertThat(AlgorithmReport.niceCeiling(9)).isEqualTo(10);
        assertThat(AlgorithmReport.niceCeiling(13)).isEqualTo(20);
        assertThat(AlgorithmReport.niceCeiling(2100)).isEqualTo(5000);
        assertThat(AlgorithmReport.niceCeiling(0.7)).isEqualTo(1);
    }

    @Test
    void a_run_summary_counts_failures_shares_and_clients_that_changed_replica() {
        List<KeyedLoad.Answer> answers = List.of(
                new KeyedLoad.Answer(1, 200, 1000, "hits-1"),
                new KeyedLoad.Answer(1, 200, 3000, "hits-2"),
                new KeyedLoad.Answer(2, 200, 2000, "hits-1"),
                new KeyedLoad.Answer(2, 0, 9000, "?"));

        AlgorithmReport.Run run = Algorithms.summarize("hash", answers, 1, true, 3);

        assertThat(run.served()).isEqualTo(Map.of("hits-1", 2L, "hits-2", 1L));
        assertThat(run.failed()).isEqualTo(1);
        assertThat(run.clientsChanged()).isEqualTo(1);
        assertThat(run.clients()).isEqualTo(2);
        assertThat(run.p50Ms()).isEqualTo(2.0);
        assertThat(run.maxMs()).isEqualTo(9.0);
        assertThat(Algorithms.summarize("round_robin", answers, 1, false, 3).clientsChanged())
                .isEqualTo(-1);
    }

    @Test
    void each_client_has_a_24_network_of_its_own_inside_loopback() {
        assertThat(KeyedLoad.source(0)).isEqualTo("127.1.0.1");
        assertThat(KeyedLoad.source(300)).isEqualTo("127.2.44.1");
    }

    @Test
    void a_retry_is_a_request_nginx_sent_to_more_than_one_replica(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        Files.writeString(log, """
                127.0.0.1 [24/Nov/2026:00:30:36 +0000] "GET / HTTP/1.1" 200 36 rt=0.003 upstream=127.0.0.1:19083 ustatus=200 urt=0.003 rid=b
                127.0.0.1 [24/Nov/2026:00:30:36 +0000] "GET / HTTP/1.1" 200 36 rt=2.005 upstream=127.0.0.1:19082, 127.0.0.1:19081 ustatus=504, 200 urt=2.000, 0.004 rid=c
                """);
        assertThat(AccessLog.retried(log, 0, Files.size(log))).isEqualTo(1);
    }
}
