package dev.hitslb.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BinariesTest {
    @Test
    void a_missing_binary_names_the_exact_install_command() {
        assertThatThrownBy(() -> Binaries.require("no-such-server-binary"))
                .isInstanceOf(Binaries.MissingBinaryException.class)
                .hasMessageContaining("'no-such-server-binary' was not found")
                .hasMessageEndingWith("Install it with: apt-get install -y no-such-server-binary");
    }

    @Test
    void server_binaries_map_to_their_debian_packages() {
        assertThat(Binaries.installHint("initdb")).isEqualTo("apt-get install -y postgresql");
        assertThat(Binaries.installHint("redis-server")).isEqualTo("apt-get install -y redis-server");
        assertThat(Binaries.installHint("nginx")).isEqualTo("apt-get install -y nginx-light");
    }

    @Test
    void a_free_port_can_be_bound() {
        assertThat(Ports.isFree(Ports.free())).isTrue();
    }
}
