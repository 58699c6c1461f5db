package dev.hitslb.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitslb.servers.Binaries.NginxChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinariesTest {
    @TempDir
    Path tmp;

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

    @Test
    void nginx_bin_wins_over_the_cached_and_the_system_nginx() throws IOException {
        Path own = executable(tmp.resolve("own/nginx"));
        executable(tmp.resolve("home/.cache/hits-lb/nginx/bin/nginx"));

        NginxChoice choice = Binaries.chooseNginx(Map.of("NGINX_BIN", own.toString()), tmp.resolve("home"), system());

        assertThat(choice.path()).isEqualTo(own);
        assertThat(choice.source()).isEqualTo(NginxChoice.Source.NGINX_BIN);
        assertThat(choice.describe()).isEqualTo("nginx: " + own + " (NGINX_BIN)");
    }

    @Test
    void an_nginx_bin_that_is_missing_or_not_executable_is_an_error_naming_it() throws IOException {
        Path plain = Files.createFile(tmp.resolve("nginx"));
        for (Path bad : new Path[] {plain, tmp.resolve("no-such-nginx"), tmp}) {
            assertThatThrownBy(() -> Binaries.chooseNginx(Map.of("NGINX_BIN", bad.toString()), tmp, system()))
                    .isInstanceOf(Binaries.MissingBinaryException.class)
                    .hasMessageStartingWith("NGINX_BIN=" + bad + " is not an executable file")
                    .hasMessageContaining("tools/modern-nginx fetch");
        }
    }

    @Test
    void without_nginx_bin_the_cached_modern_nginx_wins_over_the_systems() throws IOException {
        Path wrapper = executable(tmp.resolve("home/.cache/hits-lb/nginx/bin/nginx"));

        for (String empty : new String[] {null, "", " "}) {
            Map<String, String> env = new HashMap<>();
            env.put("NGINX_BIN", empty);
            NginxChoice choice = Binaries.chooseNginx(env, tmp.resolve("home"), system());
            assertThat(choice.path()).isEqualTo(wrapper);
            assertThat(choice.describe())
                    .isEqualTo("nginx: " + wrapper + " (cached modern nginx; tools/modern-nginx fetch)");
        }
    }

    @Test
    void the_cache_is_found_by_the_scripts_rule() {
        Path home = Path.of("/home/u");
        assertThat(Binaries.modernNginxWrapper(Map.of(), home))
                .isEqualTo(Path.of("/home/u/.cache/hits-lb/nginx/bin/nginx"));
        assertThat(Binaries.modernNginxWrapper(Map.of("XDG_CACHE_HOME", "/xdg", "HITS_LB_CACHE", ""), home))
                .isEqualTo(Path.of("/xdg/hits-lb/nginx/bin/nginx"));
        assertThat(Binaries.modernNginxWrapper(Map.of("XDG_CACHE_HOME", "/xdg", "HITS_LB_CACHE", "/c"), home))
                .isEqualTo(Path.of("/c/nginx/bin/nginx"));
    }

    @Test
    void only_the_cache_folder_the_rule_names_counts() throws IOException {
        executable(tmp.resolve("xdg/hits-lb/nginx/bin/nginx"));
        Path wrapper = executable(tmp.resolve("mine/nginx/bin/nginx"));
        Map<String, String> env = Map.of("XDG_CACHE_HOME", tmp.resolve("xdg").toString());

        assertThat(Binaries.chooseNginx(env, tmp, system()).path())
                .isEqualTo(tmp.resolve("xdg/hits-lb/nginx/bin/nginx"));
        assertThat(Binaries.chooseNginx(
                                Map.of(
                                        "HITS_LB_CACHE",
                                        tmp.resolve("mine").toString(),
                                        "XDG_CACHE_HOME",
                                        tmp.resolve("xdg").toString()),
                                tmp,
                                system())
                        .path())
                .isEqualTo(wrapper);
        assertThat(Binaries.chooseNginx(
                                Map.of(
                                        "HITS_LB_CACHE",
                                        tmp.resolve("empty").toString(),
                                        "XDG_CACHE_HOME",
                                        tmp.resolve("xdg").toString()),
                                tmp,
                                system())
                        .source())
                .isEqualTo(NginxChoice.Source.SYSTEM);
    }

    @Test
    void a_wrapper_that_is_not_executable_does_not_count() throws IOException {
        Path wrapper = tmp.resolve("home/.cache/hits-lb/nginx/bin/nginx");
        Files.createDirectories(wrapper.getParent());
        Files.createFile(wrapper);

        assertThat(Binaries.chooseNginx(Map.of(), tmp.resolve("home"), system()).source())
                .isEqualTo(NginxChoice.Source.SYSTEM);
    }

    @Test
    void without_either_the_systems_nginx_is_used_and_says_how_to_get_a_modern_one() {
        NginxChoice choice = Binaries.chooseNginx(Map.of(), tmp, system());

        assertThat(choice.path()).isEqualTo(Path.of("/usr/sbin/nginx"));
        assertThat(choice.describe())
                .startsWith("nginx: /usr/sbin/nginx (the system's")
                .contains("tools/modern-nginx fetch");
    }

    @Test
    void no_nginx_at_all_names_both_ways_to_get_one() {
        assertThatThrownBy(() -> Binaries.chooseNginx(Map.of(), tmp, Optional::empty))
                .isInstanceOf(Binaries.MissingBinaryException.class)
                .hasMessageStartingWith("'nginx' was not found: NGINX_BIN is unset")
                .hasMessageContaining(
                        tmp.resolve(".cache/hits-lb/nginx/bin/nginx").toString())
                .hasMessageContaining("apt-get install -y nginx-light")
                .hasMessageEndingWith("get nginx >= 1.29.6 with: tools/modern-nginx fetch");
    }

    /** A system whose PATH search finds /usr/sbin/nginx, whatever this machine has. */
    private static Supplier<Optional<Path>> system() {
        return () -> Optional.of(Path.of("/usr/sbin/nginx"));
    }

    private static Path executable(Path path) throws IOException {
        Files.createDirectories(path.getParent());
        Files.writeString(path, "#!/bin/sh\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
