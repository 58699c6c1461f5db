package dev.hitslb.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.lb.Algorithm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackLayoutTest {
    static final ServiceSpec HITS =
            new ServiceSpec("hits", "/health/ready", "/api/hits", "hits", "SELECT hits FROM hit_counter WHERE id = 1");

    @TempDir
    Path home;

    @Test
    void the_standard_layout_puts_every_process_at_an_offset_of_nginx_port() {
        StackLayout layout = StackLayout.standard(home, HITS, Algorithm.ROUND_ROBIN, 3, 8080, Path.of("service.jar"));

        assertThat(layout.names())
                .containsExactly("postgres", "redis", "hits-1", "hits-2", "hits-3", "hits-backup", "nginx");
        assertThat(List.of(
                        layout.port("hits-1"),
                        layout.port("hits-3"),
                        layout.port("hits-backup"),
                        layout.port("postgres"),
                        layout.port("redis"),
                        layout.port("nginx")))
                .containsExactly(8081, 8083, 8090, 8100, 8101, 8080);
        assertThat(layout.url()).isEqualTo("http://127.0.0.1:8080/");
        assertThat(layout.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:8100/hits");
        assertThat(layout.replicaNames()).containsExactly("hits-1", "hits-2", "hits-3", "hits-backup");
    }

    @Test
    void the_replicas_carry_the_service_name() {
        ServiceSpec orders = new ServiceSpec(
                "orders", "/health/ready", "/api/orders", "orders", "SELECT orders FROM order_counter WHERE id = 1");
        StackLayout layout =
                StackLayout.standard(home, orders, Algorithm.ROUND_ROBIN, 2, 8080, Path.of("orders-service.jar"));

        assertThat(layout.names())
                .containsExactly("postgres", "redis", "orders-1", "orders-2", "orders-backup", "nginx");
        assertThat(layout.jdbcUrl()).endsWith("/orders");
    }

    @Test
    void an_algorithm_without_a_backup_has_no_backup_process() {
        StackLayout layout = StackLayout.standard(home, HITS, Algorithm.HASH, 2, 9000, Path.of("service.jar"));

        assertThat(layout.names()).containsExactly("postgres", "redis", "hits-1", "hits-2", "nginx");
        assertThatThrownBy(() -> layout.port("hits-backup"))
                .hasMessageContaining("no process called 'hits-backup'")
                .hasMessageContaining("hits-1, hits-2");
    }

    @Test
    void what_up_saves_the_other_commands_load() {
        StackLayout saved = StackLayout.standard(home, HITS, Algorithm.LEAST_CONN, 4, 18080, Path.of("service.jar"));
        saved.save();

        assertThat(StackLayout.load(home)).contains(saved);
    }

    @Test
    void no_saved_stack_is_empty_and_a_damaged_one_says_what_to_do() throws IOException {
        assertThat(StackLayout.load(home)).isEmpty();

        Files.writeString(home.resolve("stack.properties"), "algorithm=round_robin\n");
        assertThatThrownBy(() -> StackLayout.load(home))
                .hasMessageContaining("unreadable")
                .hasMessageContaining("./stack down, then ./stack up");
    }
}
