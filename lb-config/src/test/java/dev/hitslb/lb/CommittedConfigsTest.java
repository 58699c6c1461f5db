package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** nginx/ is what compose mounts: it must be exactly what the renderer produces now. */
class CommittedConfigsTest {
    private static final String REGENERATE = "regenerate it: java -jar lb-config/target/lb-config.jar nginx-dir nginx";
    private final Path dir = Path.of(System.getProperty("hits.nginx.dir", "../nginx"));

    @Test
    void every_committed_config_matches_the_renderer() throws IOException {
        for (Map.Entry<String, String> file : LbConfigCommand.composeFiles().entrySet()) {
            Path committed = dir.resolve(file.getKey());
            assertThat(committed).as("nginx/%s is missing; %s", file.getKey(), REGENERATE).isRegularFile();
            assertThat(Files.readString(committed))
                    .as("nginx/%s differs from what lb-config renders; %s", file.getKey(), REGENERATE)
                    .isEqualTo(file.getValue());
        }
    }

    @Test
    void nginx_holds_no_config_the_renderer_does_not_make() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf")))
                    .as("stale files in nginx/")
                    .containsExactlyInAnyOrderElementsOf(LbConfigCommand.composeFiles().keySet().stream()
                            .filter(n -> n.endsWith(".conf")).toList());
        }
    }
}
