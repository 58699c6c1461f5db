package dev.hitslb.servers;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Finds server binaries on the PATH and in Debian's off-PATH folders, or says how to install them.
 * nginx has its own order ({@link #nginx()}): {@code NGINX_BIN}, else the modern nginx that
 * {@code tools/modern-nginx fetch} caches, else the system's.
 */
public final class Binaries {
    /** The command that caches a modern nginx (>= 1.29.6, which sticky needs). */
    public static final String MODERN_NGINX_FETCH = "tools/modern-nginx fetch";

    private Binaries() {}

    /** Debian's apt package that provides each binary we start. */
    private static String packageFor(String name) {
        return switch (name) {
            case "postgres", "initdb", "pg_ctl", "pg_isready", "psql" -> "postgresql";
            case "redis-server", "redis-cli" -> "redis-server";
            case "nginx" -> "nginx-light";
            case "chromedriver" -> "chromium-driver";
            default -> name;
        };
    }

    /** The install command that provides {@code name} on Debian/Ubuntu. */
    public static String installHint(String name) {
        return "apt-get install -y " + packageFor(name);
    }

    /**
     * The path of an executable called {@code name}: the PATH first, then Debian's
     * /usr/lib/postgresql/<newest>/bin and /usr/sbin (nginx lives there, off a normal user's PATH).
     *
     * For {@code nginx}, the one {@link #nginx()} chooses.
     *
     * @throws MissingBinaryException naming the exact install command
     */
    public static Path require(String name) {
        if (name.equals("nginx")) {
            return nginx().path();
        }
        return onSearchPath(name).orElseThrow(() -> MissingBinaryException.notFound(name));
    }

    private static Optional<Path> onSearchPath(String name) {
        for (Path dir : searchPath()) {
            Path candidate = dir.resolve(name);
            if (isExecutableFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    /**
     * The nginx to run, and why: {@code NGINX_BIN} if set (it must be executable); else the cached
     * modern nginx if present ({@link #modernNginxWrapper}); else the system's, from the PATH or
     * /usr/sbin. {@link NginxChoice#describe()} is one line for the launcher to print.
     *
     * @throws MissingBinaryException when NGINX_BIN is not executable, or no nginx is there at all
     */
    public static NginxChoice nginx() {
        Map<String, String> env = System.getenv();
        Path home = Path.of(nonBlank(env.get("HOME")).orElse(System.getProperty("user.home")));
        return chooseNginx(env, home, () -> onSearchPath("nginx"));
    }

    static NginxChoice chooseNginx(Map<String, String> env, Path home, Supplier<Optional<Path>> system) {
        Optional<String> nginxBin = nonBlank(env.get("NGINX_BIN"));
        if (nginxBin.isPresent()) {
            Path path = Path.of(nginxBin.get()).toAbsolutePath();
            if (!isExecutableFile(path)) {
                throw new MissingBinaryException(
                        "NGINX_BIN=" + nginxBin.get() + " is not an executable file: point"
                                + " NGINX_BIN at an nginx, or unset it to use the cached modern nginx ("
                                + MODERN_NGINX_FETCH
                                + ") or the system's",
                        MODERN_NGINX_FETCH);
            }
            return new NginxChoice(path, NginxChoice.Source.NGINX_BIN);
        }
        Path wrapper = modernNginxWrapper(env, home);
        if (isExecutableFile(wrapper)) {
            return new NginxChoice(wrapper, NginxChoice.Source.CACHED_MODERN);
        }
        return system.get()
                .map(path -> new NginxChoice(path, NginxChoice.Source.SYSTEM))
                .orElseThrow(() -> new MissingBinaryException(
                        "'nginx' was not found: NGINX_BIN is unset, there is"
                                + " no cached modern nginx at " + wrapper
                                + ", and none on the PATH or in Debian's folders."
                                + " Install it with: " + installHint("nginx")
                                + " (Debian 12's 1.22.1: every algorithm but"
                                + " sticky), or get nginx >= 1.29.6 with: " + MODERN_NGINX_FETCH,
                        installHint("nginx")));
    }

    /**
     * Where {@code tools/modern-nginx fetch} puts its wrapper, by the script's own rule:
     * {@code ${HITS_LB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hits-lb}/nginx/bin/nginx}.
     */
    static Path modernNginxWrapper(Map<String, String> env, Path home) {
        Path cache = nonBlank(env.get("HITS_LB_CACHE"))
                .map(Path::of)
                .orElseGet(() -> nonBlank(env.get("XDG_CACHE_HOME"))
                        .map(Path::of)
                        .orElse(home.resolve(".cache"))
                        .resolve("hits-lb"));
        return cache.resolve("nginx").resolve("bin").resolve("nginx");
    }

    /** Like the shell's {@code ${VAR:-...}}: an empty value counts as unset. */
    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).filter(v -> !v.isBlank());
    }

    private static List<Path> searchPath() {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                dirs.add(Path.of(dir));
            }
        }
        dirs.addAll(debianPostgresBinDirs());
        dirs.add(Path.of("/usr/sbin"));
        dirs.add(Path.of("/usr/local/sbin"));
        return dirs;
    }

    /** /usr/lib/postgresql/15/bin and friends, newest major version first. */
    private static List<Path> debianPostgresBinDirs() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt(
                                    (Path p) -> Integer.parseInt(p.getFileName().toString()))
                            .reversed())
                    .map(p -> p.resolve("bin"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The nginx {@link #nginx()} chose, and where it came from. */
    public record NginxChoice(Path path, Source source) {
        /** Where the chosen nginx came from. */
        public enum Source {
            NGINX_BIN("NGINX_BIN"),
            CACHED_MODERN("cached modern nginx; " + MODERN_NGINX_FETCH),
            SYSTEM("the system's; NGINX_BIN unset and no cached modern nginx, which " + MODERN_NGINX_FETCH + " gets");

            private final String why;

            Source(String why) {
                this.why = why;
            }
        }

        /** One line, e.g. "nginx: /root/.cache/hits-lb/nginx/bin/nginx (cached modern nginx; tools/modern-nginx fetch)". */
        public String describe() {
            return "nginx: " + path + " (" + source.why + ")";
        }
    }

    /** A server binary is missing; the message carries the command that installs it. */
    public static final class MissingBinaryException extends IllegalStateException {
        private final String installCommand;

        MissingBinaryException(String message, String installCommand) {
            super(message);
            this.installCommand = installCommand;
        }

        static MissingBinaryException notFound(String name) {
            return new MissingBinaryException(
                    "'" + name + "' was not found on the PATH or in Debian's folders." + " Install it with: "
                            + installHint(name),
                    installHint(name));
        }

        public String installCommand() {
            return installCommand;
        }
    }
}
