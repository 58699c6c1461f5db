package dev.hitslb.servers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and fails with its output when it does not succeed. */
public final class Commands {
    private Commands() {}

    /** The command's combined output; throws with that output on a non-zero exit or after 60 s. */
    static String run(List<String> command, Map<String, String> env) {
        return run(command, env, Duration.ofSeconds(60));
    }

    /** The command's combined output; throws with that output on a non-zero exit or after {@code timeout} (the command is then killed). */
    public static String run(List<String> command, Map<String, String> env, Duration timeout) {
        Path output = null;
        try {
            // To a file, not a pipe: reading a pipe to its end would wait for the command however long it takes.
            output = Files.createTempFile("hits-lb-command", ".out");
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(
                        "timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command));
            }
            String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(
                        "'" + String.join(" ", command) + "' exited with " + process.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file left behind
                }
            }
        }
    }

    /**
     * {@code command} as the unprivileged {@code user} when we are root (PostgreSQL refuses to run as
     * root). setpriv execs in place, so the pid we hold is the server's own.
     */
    static List<String> asUserIfRoot(String user, List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> wrapped =
                new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Lets other users traverse {@code dir} and every folder above it (o+x, not o+r), so a server we run
     * as another user (postgres, nginx's workers) can reach its own folder inside it.
     */
    static void letOthersReach(Path dir) throws IOException {
        for (Path d = dir.toAbsolutePath(); d != null && !d.equals(d.getRoot()); d = d.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(d);
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) {
                Files.setPosixFilePermissions(d, perms);
            }
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
