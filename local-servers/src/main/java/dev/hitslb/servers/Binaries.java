package dev.hitslb.servers;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Finds server binaries on the PATH and in Debian's off-PATH folders, or says how to install them. */
public final class Binaries {
    private Binaries() {
    }

    /** Debian's apt package that provides each binary we start. */
    private static String packageFor(String name) {
        return switch (name) {
            case "postgres", "initdb", "pg_ctl", "pg_isready", "psql" -> "postgresql";
            case "redis-server", "redis-cli" -> "redis-server";
            case "nginx" -> "nginx-light";
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
     * @throws MissingBinaryException naming the exact install command
     */
    public static Path require(String name) {
        for (Path dir : searchPath()) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new MissingBinaryException(name, installHint(name));
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
            return versions
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString())).reversed())
                    .map(p -> p.resolve("bin"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A server binary is missing; the message carries the command that installs it. */
    public static final class MissingBinaryException extends IllegalStateException {
        private final String installCommand;

        MissingBinaryException(String name, String installCommand) {
            super("'" + name + "' was not found on the PATH or in Debian's folders. Install it with: "
                    + installCommand);
            this.installCommand = installCommand;
        }

        public String installCommand() {
            return installCommand;
        }
    }
}
