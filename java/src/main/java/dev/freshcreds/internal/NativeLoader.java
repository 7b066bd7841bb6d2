package dev.freshcreds.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the native library once per class loader: from {@code -Dfreshcreds.library.path} when
 * set, else from the jar resource {@code /native/<os>-<arch>/<library file>} extracted to a
 * private temporary file that is deleted once loaded. Not an API.
 */
public final class NativeLoader {
    /** System property naming a native library file to load instead of the bundled one. */
    public static final String LIBRARY_PATH_PROPERTY = "freshcreds.library.path";

    private static boolean loaded;
    private static UnsatisfiedLinkError failure;

    private NativeLoader() {
    }

    /**
     * Loads the library unless already loaded. A failure is remembered and thrown again.
     *
     * @throws UnsatisfiedLinkError naming the os, the architecture, the resource and the property
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        if (failure != null) {
            UnsatisfiedLinkError again = new UnsatisfiedLinkError(failure.getMessage());
            again.initCause(failure);
            throw again;
        }
        try {
            loadOnce();
            loaded = true;
        } catch (UnsatisfiedLinkError e) {
            failure = e;
            throw e;
        }
    }

    /**
     * The platform directory of the bundled library, for example {@code linux-x86_64}.
     *
     * @return os and architecture as used in resource paths
     */
    public static String platform() {
        return os(System.getProperty("os.name", "")) + "-" + arch(System.getProperty("os.arch", ""));
    }

    /**
     * The resource path of the bundled library for this platform.
     *
     * @return for example {@code /native/linux-x86_64/libfreshcreds.so}
     */
    public static String resourcePath() {
        return "/native/" + platform() + "/" + System.mapLibraryName("freshcreds");
    }

    static String os(String osName) {
        String n = osName.toLowerCase(Locale.ROOT);
        if (n.contains("linux")) {
            return "linux";
        }
        if (n.contains("mac") || n.contains("darwin")) {
            return "macos";
        }
        if (n.contains("windows")) {
            return "windows";
        }
        return n.replaceAll("[^a-z0-9]+", "");
    }

    static String arch(String osArch) {
        String a = osArch.toLowerCase(Locale.ROOT);
        if (a.equals("amd64") || a.equals("x86_64") || a.equals("x64")) {
            return "x86_64";
        }
        if (a.equals("aarch64") || a.equals("arm64")) {
            return "aarch64";
        }
        return a.replaceAll("[^a-z0-9_]+", "");
    }

    private static void loadOnce() {
        List<Throwable> causes = new ArrayList<Throwable>();
        String override = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            try {
                System.load(new File(override).getAbsolutePath());
                return;
            } catch (Throwable e) {
                causes.add(e);
                throw failure("could not load " + override + " named by -D" + LIBRARY_PATH_PROPERTY, causes);
            }
        }
        String resource = resourcePath();
        Path extracted = null;
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw failure("the jar has no native library for this platform at " + resource, causes);
            }
            String name = System.mapLibraryName("freshcreds");
            int dot = name.lastIndexOf('.');
            // Files.createTempFile makes the file readable and writable by its owner only.
            extracted = Files.createTempFile(name.substring(0, dot) + "-", name.substring(dot));
            Files.copy(in, extracted, StandardCopyOption.REPLACE_EXISTING);
            System.load(extracted.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            if (e.getMessage() != null && e.getMessage().startsWith("freshcreds:")) {
                throw e;
            }
            causes.add(e);
            String hint = "";
            Path dir = extracted != null ? extracted.getParent() : tmpdir();
            if (isNoexec(dir, e)) {
                hint = "; the temporary directory " + dir + " does not allow executing code (noexec):"
                        + " set -Djava.io.tmpdir to a directory that does";
            }
            throw failure("could not load " + resource + " extracted to " + extracted + hint, causes);
        } catch (IOException | RuntimeException e) {
            causes.add(e);
            throw failure("could not extract " + resource + " to " + tmpdir()
                    + " (set -Djava.io.tmpdir to a writable directory)", causes);
        } finally {
            if (extracted != null) {
                // The loaded library stays mapped; the file itself is no longer needed.
                try {
                    Files.deleteIfExists(extracted);
                } catch (IOException e) {
                    extracted.toFile().deleteOnExit();
                }
            }
        }
    }

    private static Path tmpdir() {
        return Paths.get(System.getProperty("java.io.tmpdir", "."));
    }

    private static UnsatisfiedLinkError failure(String what, List<Throwable> causes) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("freshcreds: " + what
                + " (os.name=" + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                + ", resource " + resourcePath() + "); to use another copy of the library set -D"
                + LIBRARY_PATH_PROPERTY + "=/path/to/" + System.mapLibraryName("freshcreds"));
        for (Throwable cause : causes) {
            e.addSuppressed(cause);
        }
        return e;
    }

    private static boolean isNoexec(Path dir, UnsatisfiedLinkError e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.contains("failed to map segment")) {
            return true;
        }
        try {
            List<String> mounts = Files.readAllLines(Paths.get("/proc/self/mounts"), StandardCharsets.UTF_8);
            return noexecMount(dir.toAbsolutePath().normalize().toString(), mounts);
        } catch (IOException | RuntimeException ignored) {
            return false;
        }
    }

    /**
     * Whether the mount holding {@code dir} has the {@code noexec} option.
     *
     * @param dir an absolute, normalized directory
     * @param mounts lines of {@code /proc/self/mounts}
     * @return true when the longest mount point containing {@code dir} is mounted noexec
     */
    static boolean noexecMount(String dir, List<String> mounts) {
        String best = null;
        boolean noexec = false;
        for (String line : mounts) {
            String[] f = line.split(" ");
            if (f.length < 4) {
                continue;
            }
            String point = f[1].replace("\\040", " ");
            boolean contains = dir.equals(point)
                    || point.equals("/")
                    || dir.startsWith(point.endsWith("/") ? point : point + "/");
            if (contains && (best == null || point.length() >= best.length())) {
                best = point;
                noexec = ("," + f[3] + ",").contains(",noexec,");
            }
        }
        return noexec;
    }
}
