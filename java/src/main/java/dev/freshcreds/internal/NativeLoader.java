package dev.freshcreds.internal;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads the native library once per class loader. In order:
 *
 * <ol>
 *   <li>{@code -Dfreshcreds.library.path=<file>} when set (and nothing else);
 *   <li>the jar resource {@code /native/<os>-<arch>[-musl]/<library file>} for this platform
 *       (musl or glibc detected from the dynamic loader the JVM runs under, not from
 *       {@code os.name}), extracted once into a private directory (0700,
 *       {@code <java.io.tmpdir>/freshcreds-<user>} or {@code -Dfreshcreds.native.dir}) under a
 *       name holding its content hash, so later JVMs load the already-extracted file (that
 *       quick path knows the hash from {@code BundledNatives}, compiled in by the build, so it
 *       opens no jar entry; everything else is in {@code NativeExtraction});
 *   <li>{@code System.loadLibrary("freshcreds")}: a copy installed in {@code java.library.path}.
 * </ol>
 *
 * <p>A bundled library is loaded only after its SHA-256 matched the one the jar was built with
 * ({@code BundledNatives}, else {@code native/SHA256SUMS}), on every path: a file found in the
 * shared directory is hashed before it is loaded, an extracted one as it is written. A file whose
 * hash differs is reported once (a warning naming it, containing {@code HASH_MISMATCH}),
 * removed, and a fresh private copy is extracted instead. The shared directory is trusted only
 * when it is a real directory (not a symlink, checked without following links) of this user with
 * mode 0700, created that way and never {@code chmod}ed; on file systems without POSIX
 * permissions (Windows) no shared directory is trusted at all: every JVM extracts into a fresh
 * private directory ({@code Files.createTempDirectory}).
 *
 * <p>When all fail, the {@link UnsatisfiedLinkError}'s first line names the os, the
 * architecture, the libc and the operating system's own reason (the {@code dlopen} error), and
 * how to fix it; the lines after it list every attempt. Not an API: applications use
 * {@code FreshCredentials.isAvailable()} and {@code FreshCredentials.unavailabilityCause()}.
 */
public final class NativeLoader {
    /** System property naming a native library file to load instead of the bundled one. */
    public static final String LIBRARY_PATH_PROPERTY = "freshcreds.library.path";
    /** System property naming the directory the bundled library is extracted into. */
    public static final String NATIVE_DIR_PROPERTY = "freshcreds.native.dir";
    /** System property overriding the libc detection on Linux: {@code glibc} or {@code musl}. */
    public static final String LIBC_PROPERTY = "freshcreds.libc";
    /** The jar resource with the SHA-256 of every bundled library ({@code sha256sum} format). */
    public static final String MANIFEST_RESOURCE = "/native/SHA256SUMS";
    /** Hex digits of the content hash in an extracted file's name. */
    static final int HASH_DIGITS_IN_NAME = 16;
    /** The words of the warning about a library file whose SHA-256 is not the expected one. */
    static final String HASH_MISMATCH = "does not have the SHA-256 this jar was built with";

    private static final String LIBRARY = "freshcreds";
    /** {@code st_mode} bits: the file type mask, a directory, and the permission bits. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int PERMISSION_BITS = 0777;
    private static final int OWNER_ONLY_DIR_MODE = 0700;

    private static boolean loaded;
    private static String loadedFrom;
    private static UnsatisfiedLinkError failure;

    private NativeLoader() {
    }

    /** Whether the default file system has POSIX permissions (its views: no mount-table read). */
    private static final class Posix {
        static final boolean SUPPORTED = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

        private Posix() {
        }
    }

    /**
     * Loads the library unless already loaded. A failure is remembered and thrown again.
     *
     * @throws UnsatisfiedLinkError whose first line names os, arch, libc, the reason and the fix
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
            loadedFrom = loadOnce();
            loaded = true;
        } catch (UnsatisfiedLinkError e) {
            failure = e;
            throw e;
        }
    }

    /**
     * Whether the native library is loaded or loads now; never throws.
     *
     * @return true when the library is usable in this class loader
     */
    public static synchronized boolean isAvailable() {
        try {
            load();
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /**
     * Why the native library cannot be loaded, trying once if not tried yet.
     *
     * @return the load failure, or {@code null} when the library is available
     */
    public static synchronized UnsatisfiedLinkError unavailabilityCause() {
        return isAvailable() ? null : failure;
    }

    /**
     * Where the library was loaded from: a file path, or {@code java.library.path}.
     *
     * @return the loaded file, or {@code null} when not loaded
     */
    public static synchronized String loadedFrom() {
        return loadedFrom;
    }

    /**
     * The platform directory of the bundled library, for example {@code linux-x86_64} or
     * {@code linux-aarch64-musl}.
     *
     * @return os, architecture and (for musl) libc as used in resource paths
     */
    public static String platform() {
        return platform(os(System.getProperty("os.name", "")), arch(System.getProperty("os.arch", "")), libc());
    }

    static String platform(String os, String arch, String libc) {
        return os + "-" + arch + ("musl".equals(libc) ? "-musl" : "");
    }

    /**
     * The resource path of the bundled library for this platform.
     *
     * @return for example {@code /native/linux-x86_64/libfreshcreds.so}
     */
    public static String resourcePath() {
        return resourcePath(platform());
    }

    private static String resourcePath(String platform) {
        return "/native/" + platform + "/" + System.mapLibraryName(LIBRARY);
    }

    /**
     * The C library the JVM runs on: {@code glibc} or {@code musl} on Linux (from
     * {@code -Dfreshcreds.libc}, else from the dynamic loader the {@code java} launcher names,
     * else from the libraries mapped into this process), {@code system} elsewhere.
     *
     * @return the libc name
     */
    public static String libc() {
        String forced = System.getProperty(LIBC_PROPERTY);
        if (forced != null && !forced.trim().isEmpty()) {
            return forced.trim().toLowerCase(Locale.ROOT);
        }
        if (!"linux".equals(os(System.getProperty("os.name", "")))) {
            return "system";
        }
        // The dynamic loader the java launcher names decides the libc of the whole process (and
        // costs one 4 KB read); the mapped files are the fallback for a JVM without a launcher.
        File launcher = new File(new File(System.getProperty("java.home", ""), "bin"), "java");
        if (launcher.isFile()) {
            return libcOfExecutable(launcher);
        }
        try {
            String fromMaps = libcFromMaps(Files.readAllLines(Paths.get("/proc/self/maps"), StandardCharsets.UTF_8));
            if (fromMaps != null) {
                return fromMaps;
            }
        } catch (IOException | RuntimeException ignored) {
            // no /proc
        }
        return "glibc";
    }

    /**
     * The libc an executable was linked for, from the dynamic loader it names ({@code PT_INTERP}
     * near the start of the file: {@code /lib/ld-musl-<arch>.so.1} or glibc's {@code ld-linux}).
     *
     * @param executable an ELF executable
     * @return {@code musl}, else {@code glibc}
     */
    static String libcOfExecutable(File executable) {
        byte[] head = new byte[4096];
        int n = 0;
        // java.io, not NIO: its classes are loaded already when the JVM starts.
        try (InputStream in = new FileInputStream(executable)) {
            for (int r; n < head.length && (r = in.read(head, n, head.length - n)) > 0; ) {
                n += r;
            }
        } catch (IOException | RuntimeException e) {
            return "glibc";
        }
        return new String(head, 0, n, StandardCharsets.ISO_8859_1).contains("/ld-musl-") ? "musl" : "glibc";
    }

    /**
     * The libc of a process from its {@code /proc/self/maps} lines.
     *
     * @param maps the lines
     * @return {@code musl}, {@code glibc}, or {@code null} when neither is mapped
     */
    static String libcFromMaps(List<String> maps) {
        boolean glibc = false;
        for (String line : maps) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String file = line.substring(line.lastIndexOf('/') + 1);
            if (file.startsWith("ld-musl-") || file.startsWith("libc.musl-")) {
                return "musl";
            }
            if (file.startsWith("libc.so.6") || file.startsWith("ld-linux") || file.startsWith("libc-2.")) {
                glibc = true;
            }
        }
        return glibc ? "glibc" : null;
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

    /** The directory the bundled library is extracted into unless the property names one. */
    static Path defaultNativeDir() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]+", "_");
        return tmpdir().resolve("freshcreds-" + user);
    }

    private static String loadOnce() {
        String override = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            return NativeExtraction.loadNamedFile(override);
        }
        String platform = platform();
        String name = System.mapLibraryName(LIBRARY);
        String expected = BundledNatives.sha256(platform + "/" + name);
        Path dir = expected == null ? null : nativeDir();
        Path file = dir == null ? null : dir.resolve(hashedName(name, expected));
        if (file != null && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            String actual = sha256OrNull(file);
            if (!expected.equals(actual)) {
                NativeExtraction.refuse(file, expected, actual);
                return NativeExtraction.loadFromJarOrLibraryPath(platform, name, expected, false);
            }
            String reused = loadVerified(file);
            if (reused != null) {
                return reused;
            }
        }
        return NativeExtraction.loadFromJarOrLibraryPath(platform, name, expected, true);
    }

    /**
     * The quick path of every JVM after the first on a host: the library this jar was built with
     * (its hash compiled into {@code BundledNatives}, checked by the caller) is already extracted
     * in the shared private directory, so it is loaded without opening the jar. Null when loading
     * it fails: the full path then decides (and explains).
     */
    private static String loadVerified(Path file) {
        try {
            System.load(file.toString());
            return file.toString();
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /**
     * The SHA-256 of a file, in lower-case hex.
     *
     * @param file the file (read through {@code java.io}, whose classes are loaded already)
     * @return the hash, or null when the file cannot be read
     */
    static String sha256OrNull(Path file) {
        try (InputStream in = new FileInputStream(file.toFile())) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return hex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            return null;
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            s.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return s.toString();
    }

    /**
     * The shared extraction directory, or null when it cannot be trusted or created, and always
     * on a file system without POSIX permissions (there every JVM extracts a private copy).
     */
    static Path nativeDir() {
        if (!Posix.SUPPORTED) {
            return null;
        }
        String configured = System.getProperty(NATIVE_DIR_PROPERTY);
        Path dir = configured != null && !configured.isEmpty()
                ? Paths.get(configured).toAbsolutePath()
                : defaultNativeDir();
        try {
            return privateDirectory(dir) ? dir : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Creates {@code dir} (0700) or checks that an existing one is a real directory of this user
     * that nobody else can write to or read: looked at without following links, never
     * {@code chmod}ed (a symlink put in its place is refused, and what it points to untouched).
     * False without POSIX permissions.
     */
    static boolean privateDirectory(Path dir) throws IOException {
        if (!Posix.SUPPORTED) {
            return false;
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            NativeExtraction.createPrivateDirectory(dir);
        }
        // One lstat: the type and permission bits (a directory, exactly rwx------) and the owner,
        // which must be this process's user (on Linux the owner of /proc/self).
        Map<String, Object> attributes;
        Object self;
        try {
            attributes = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            self = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException noProcOrNoUnixView) {
            return NativeExtraction.privateByPosixView(dir);
        }
        int mode = (Integer) attributes.get("mode");
        return (mode & S_IFMT) == S_IFDIR && (mode & PERMISSION_BITS) == OWNER_ONLY_DIR_MODE
                && self.equals(attributes.get("uid"));
    }

    static String hashedName(String name, String sha256) {
        int dot = name.lastIndexOf('.');
        return name.substring(0, dot) + "-" + sha256.substring(0, HASH_DIGITS_IN_NAME) + name.substring(dot);
    }

    static Path tmpdir() {
        return Paths.get(System.getProperty("java.io.tmpdir", ".")).toAbsolutePath();
    }
}
