package dev.hitslb.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NginxTemplateTest {
    private static final NginxTemplate LISTEN = new NginxTemplate(
            "nginx-templates/test.conf", "server {\n    listen {{listen}};\n    set $x ${host}; # {{note}}\n}\n");

    @Test
    void fills_named_placeholders_and_leaves_nginx_variables_alone() {
        assertThat(LISTEN.fill(Map.of("listen", "127.0.0.1:8080", "note", "{{not_scanned}}")))
                .isEqualTo("server {\n    listen 127.0.0.1:8080;\n    set $x ${host}; # {{not_scanned}}\n}\n");
    }

    @Test
    void an_unfilled_placeholder_fails_and_names_it() {
        assertThatThrownBy(() -> LISTEN.fill(Map.of("listen", "80")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("nginx-templates/test.conf: no value for {{note}} (values given: listen)");
    }

    @Test
    void a_value_for_a_placeholder_the_template_lacks_fails_and_names_it() {
        assertThatThrownBy(() -> LISTEN.fill(Map.of("listen", "80", "note", "", "port", "80")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(
                        "nginx-templates/test.conf has no placeholder {{port}} (placeholders it has: listen, note)");
    }

    @Test
    void a_malformed_placeholder_fails() {
        assertThatThrownBy(() -> new NginxTemplate("t.conf", "listen {{ listen }};\n").fill(Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("t.conf: malformed placeholder at '{{ listen }};'");
    }

    @Test
    void a_missing_template_names_its_path() {
        assertThatThrownBy(() -> NginxTemplate.load("upstream/least_time.conf"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("nginx template nginx-templates/upstream/least_time.conf is not on the classpath");
    }

    @Test
    void every_algorithm_has_an_upstream_template() {
        for (Algorithm algorithm : Algorithm.values()) {
            assertThat(NginxTemplate.load("upstream/" + algorithm.id() + ".conf")
                            .placeholders())
                    .as(algorithm.id())
                    .contains("servers", "keepalive");
        }
    }
}
