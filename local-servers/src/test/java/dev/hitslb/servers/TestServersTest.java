package dev.hitslb.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TestServersTest {
    @Test
    void the_containers_run_the_images_compose_yaml_pins() {
        assertThat(TestServers.composeImage("postgres")).matches("postgres:17\\.\\d+-alpine");
        assertThat(TestServers.composeImage("redis")).matches("redis:7\\.\\d+\\.\\d+-alpine");
        assertThat(TestServers.POSTGRES_IMAGE.asCanonicalNameString()).endsWith(TestServers.composeImage("postgres"));
    }

    @Test
    void a_service_compose_yaml_does_not_have_is_an_error_naming_it() {
        assertThatThrownBy(() -> TestServers.composeImage("mysql"))
                .hasMessageEndingWith("compose.yaml has no 'image:' for the service mysql");
    }
}
