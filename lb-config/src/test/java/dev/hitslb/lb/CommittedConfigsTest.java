package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * nginx/ is what compose mounts, and k8s/'s nginx.conf and upstream.conf files are what kustomize puts
 * into the ConfigMap: both must be exactly what the renderer produces now.
 */
class CommittedConfigsTest {
    /** A committed folder of rendered configs, and the command that regenerates it. */
    enum Folder {
        NGINX("hits.nginx.dir", "nginx", "nginx-dir"),
        K8S("hits.k8s.dir", "k8s", "k8s-dir");

        final Path dir;
        final String label;
        final String regenerate;

        Folder(String property, String name, String command) {
            dir = Path.of(System.getProperty(property, "../" + name));
            label = name + "/";
            regenerate = "regenerate it: java -jar lb-config/target/lb-config.jar " + command + " " + name;
        }

        Map<String, String> rendered() {
            return this == NGINX ? LbConfigCommand.composeFiles() : LbConfigCommand.kubernetesFiles();
        }
    }

    @ParameterizedTest
    @EnumSource(Folder.class)
    void every_committed_config_matches_the_renderer(Folder folder) throws IOException {
        for (Map.Entry<String, String> file : folder.rendered().entrySet()) {
            Path committed = folder.dir.resolve(file.getKey());
            assertThat(committed)
                    .as("%s%s is missing; %s", folder.label, file.getKey(), folder.regenerate)
                    .isRegularFile();
            assertThat(Files.readString(committed))
                    .as("%s%s differs from what lb-config renders; %s", folder.label, file.getKey(), folder.regenerate)
                    .isEqualTo(file.getValue());
        }
    }

    @ParameterizedTest
    @EnumSource(Folder.class)
    void the_folder_holds_no_config_the_renderer_does_not_make(Folder folder) throws IOException {
        // Every .conf at any depth (k8s/ keeps them in base/ and overlays/<algorithm>/).
        try (Stream<Path> files = Files.walk(folder.dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().endsWith(".conf"))
                            .map(p -> folder.dir.relativize(p).toString().replace('\\', '/')))
                    .as("stale .conf files in %s (%s)", folder.label, folder.regenerate)
                    .containsExactlyInAnyOrderElementsOf(folder.rendered().keySet().stream()
                            .filter(n -> n.endsWith(".conf"))
                            .toList());
        }
    }
}
