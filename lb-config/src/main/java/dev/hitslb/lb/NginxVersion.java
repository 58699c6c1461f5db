package dev.hitslb.lb;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An nginx version such as 1.22.1, compared numerically. */
public record NginxVersion(int major, int minor, int patch) implements Comparable<NginxVersion> {
    static final NginxVersion ANY = new NginxVersion(0, 0, 0);
    /** {@code server ... resolve} in open source (a name re-resolved at run time). */
    public static final NginxVersion RESOLVE = new NginxVersion(1, 27, 3);
    /** {@code sticky cookie} in open source. */
    public static final NginxVersion STICKY = new NginxVersion(1, 29, 6);
    /** Debian 12's package: what the local target must run on. */
    public static final NginxVersion DEBIAN_12 = new NginxVersion(1, 22, 1);
    /** The image compose.yaml pins ({@code nginx:1.30-alpine}). */
    public static final NginxVersion COMPOSE_IMAGE = new NginxVersion(1, 30, 0);

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** Parses {@code 1.22.1}, or the version inside {@code nginx -v} output ("nginx version: nginx/1.22.1"). */
    public static NginxVersion parse(String text) {
        Matcher m = VERSION.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("not an nginx version: '" + text + "' (expected e.g. 1.22.1)");
        }
        return new NginxVersion(
                Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }

    public boolean isAtLeast(NginxVersion other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(NginxVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
