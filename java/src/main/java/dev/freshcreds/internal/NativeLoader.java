package dev.freshcreds.internal;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Loads the native library once per class loader. In order:
 *
 * <ol>
 *   <li>{@code -Dfreshcreds.library.path=<file>} when set (and nothing else);
 *   <li>the jar resource {@code /native/<os>-<arch>[-musl]/<library file>} for this platform
 *       (musl or glibc detected from the dynamic loader the JVM runs under, not from
 *       {@code os.name}), extracted once into a private directory (0700,
 *       {@code <java.io.tmpdir>/freshcreds-<user>} or {@code -Dfreshcreds.native.dir}) under a
 *       name holding its content hash, so later JVMs load the already-extracted file;
 *   <li>{@code System.loadLibrary("freshcreds")}: a copy installed in {@code java.library.path}.
 * </ol>
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
    /**
     * Extracted files of other versions (and unfinished extractions) older than this are deleted
     * after a successful load; younger ones may be in the middle of being loaded by another JVM.
     */
    static final long STALE_AFTER_MILLIS = TimeUnit.HOURS.toMillis(1);
    /** Hex digits of the content hash in an extracted file's name. */
    static final int HASH_DIGITS_IN_NAME = 16;

    private static final String LIBRARY = "freshcreds";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_READ_EXEC = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

    // The default file system's views: cheap, unlike a FileStore lookup (which parses the mount table).
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Random NAMES = new Random();

    private static boolean loaded;
    private static String loadedFrom;
    private static UnsatisfiedLinkError failure;

    private NativeLoader() {
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
        return "/native/" + platform() + "/" + System.mapLibraryName(LIBRARY);
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
        Path launcher = Paths.get(System.getProperty("java.home", ""), "bin", "java");
        if (Files.isRegularFile(launcher)) {
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
    static String libcOfExecutable(Path executable) {
        byte[] head = new byte[4096];
        int n = 0;
        try (InputStream in = Files.newInputStream(executable)) {
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

    /** One way of loading that failed, with the operating system's reason. */
    private static final class Attempt {
        final String what;
        final Throwable error;
        final boolean missing;

        Attempt(String what, Throwable error, boolean missing) {
            this.what = what;
            this.error = error;
            this.missing = missing;
        }

        String reason() {
            String m = error.getMessage();
            return m == null ? error.toString() : m;
        }
    }

    private static String loadOnce() {
        List<Attempt> attempts = new ArrayList<Attempt>();
        String override = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            String path = new File(override).getAbsolutePath();
            try {
                System.load(path);
                return path;
            } catch (Throwable e) {
                attempts.add(new Attempt("-D" + LIBRARY_PATH_PROPERTY + "=" + override, e, !new File(path).isFile()));
                throw failure(attempts, "could not load " + override + " named by -D" + LIBRARY_PATH_PROPERTY,
                        "set -D" + LIBRARY_PATH_PROPERTY + " to a " + System.mapLibraryName(LIBRARY)
                                + " built for " + platform() + ", or remove it to use the bundled library");
            }
        }
        String resource = resourcePath();
        URL url = NativeLoader.class.getResource(resource);
        String fix;
        if (url == null) {
            attempts.add(new Attempt("bundled " + resource,
                    new UnsatisfiedLinkError("the jar has no native library for this platform at " + resource), true));
            fix = "this jar carries no library for " + platform() + ": build one (scripts/build-natives.sh) and set -D"
                    + LIBRARY_PATH_PROPERTY + "=/path/to/" + System.mapLibraryName(LIBRARY)
                    + " or install it in java.library.path";
        } else {
            try {
                return loadBundled(resource);
            } catch (BundledFailure e) {
                attempts.add(new Attempt(e.what, e.getCause(), false));
                fix = e.fix;
            }
        }
        try {
            System.loadLibrary(LIBRARY);
            return "java.library.path";
        } catch (Throwable e) {
            attempts.add(new Attempt("System.loadLibrary(\"" + LIBRARY + "\") from java.library.path="
                    + System.getProperty("java.library.path"), e, true));
        }
        throw failure(attempts, null, fix);
    }

    /** Loading the bundled library failed; carries the attempt's description and its fix. */
    private static final class BundledFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final String what;
        final String fix;

        BundledFailure(String what, Throwable cause, String fix) {
            super(what, cause);
            this.what = what;
            this.fix = fix;
        }
    }

    private static String loadBundled(String resource) throws BundledFailure {
        String name = System.mapLibraryName(LIBRARY);
        String expected = manifestHash(platform() + "/" + name);
        Path dir = nativeDir();
        Path file = null;
        try {
            if (dir != null) {
                file = extractShared(resource, dir, name, expected);
            }
        } catch (IOException e) {
            // an unusable shared directory: a private one below
            file = null;
        }
        boolean privateCopy = file == null;
        Path privateDir = null;
        try {
            if (privateCopy) {
                privateDir = createPrivateDir(tmpdir());
                file = extractInto(resource, privateDir, name, expected);
            }
        } catch (IOException | RuntimeException e) {
            Path where = dir != null ? dir : tmpdir();
            throw new BundledFailure("extracting bundled " + resource + " into " + where, e,
                    "set -D" + NATIVE_DIR_PROPERTY + " to a writable directory of this user");
        }
        try {
            try {
                System.load(file.toString());
            } catch (UnsatisfiedLinkError e) {
                if (privateCopy || !String.valueOf(e.getMessage()).contains("another class")) {
                    throw e;
                }
                // Loaded by another class loader of this JVM: a JVM maps a file once, so this
                // class loader needs a copy of its own.
                privateCopy = true;
                privateDir = createPrivateDir(tmpdir());
                file = extractInto(resource, privateDir, name, expected);
                System.load(file.toString());
            }
        } catch (UnsatisfiedLinkError e) {
            String fix = isNoexec(file.getParent(), e)
                    ? "the directory " + file.getParent() + " is on a mount that does not allow executing code"
                            + " (noexec): set -D" + NATIVE_DIR_PROPERTY + " to a directory that does"
                    : "the bundled library does not link on this system (the reason above): set -D"
                            + LIBRARY_PATH_PROPERTY + " to a build for it, or install one in java.library.path";
            throw new BundledFailure("bundled " + resource + " extracted to " + file, e, fix);
        } catch (IOException e) {
            throw new BundledFailure("extracting bundled " + resource + " into " + tmpdir(), e,
                    "set -D" + NATIVE_DIR_PROPERTY + " to a writable directory of this user");
        } finally {
            if (privateCopy && privateDir != null) {
                // The loaded library stays mapped (on Windows the delete fails while it is loaded).
                deleteQuietly(file);
                deleteQuietly(privateDir);
            }
        }
        if (!privateCopy) {
            removeStale(dir, file);
        }
        return file.toString();
    }

    /** The shared extraction directory, or null when it cannot be trusted or created. */
    private static Path nativeDir() {
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
     * that nobody else can write to or read.
     */
    static boolean privateDirectory(Path dir) throws IOException {
        boolean posix = POSIX;
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                if (posix) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                    Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
                } else {
                    Files.createDirectories(dir);
                }
            } catch (FileAlreadyExistsException raced) {
                // another JVM created it: checked below
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (!posix) {
            return true;
        }
        if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
            return false;
        }
        // Owned by this user: on Linux /proc/self belongs to the process's user; elsewhere a file
        // created in the directory has the same owner.
        try {
            Object self = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            return self.equals(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | RuntimeException noProcOrNoUnixView) {
            Path probe = createOwnerOnlyFile(dir, ".owner-");
            try {
                return Files.getOwner(probe).equals(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS));
            } finally {
                deleteQuietly(probe);
            }
        }
    }

    /**
     * Creates a new, empty, owner-only file in {@code dir}. Unlike Files.createTempFile it does
     * not seed a SecureRandom, which costs tens of milliseconds in a JVM that just started; the
     * names need to be unique, not unpredictable, in a directory nobody else can write to.
     */
    static Path createOwnerOnlyFile(Path dir, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(prefix + Long.toHexString(System.nanoTime()) + "-"
                    + Integer.toHexString(NAMES.nextInt()) + ".tmp");
            try {
                return POSIX
                        ? Files.createFile(p, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE))
                        : Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * The extracted library in the shared directory, named by its content hash: reused when
     * present, else extracted next to it and moved into place atomically, so a file of that name
     * is always complete (and, in a directory only this user can write to, what the jar holds).
     */
    private static Path extractShared(String resource, Path dir, String name, String expected) throws IOException {
        if (expected != null) {
            Path target = dir.resolve(hashedName(name, expected));
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                return target;
            }
        }
        Path tmp = createOwnerOnlyFile(dir, ".extract-");
        try {
            // With the manifest's hash the copy is not hashed again: in a JVM that just started,
            // SHA-256 over 4 MB runs interpreted and costs more than the whole load.
            String hash = expected != null ? copy(resource, tmp) : copyHashing(resource, tmp);
            Path target = dir.resolve(hashedName(name, expected != null ? expected : hash));
            setReadExecOnly(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // Windows: the target exists and is in use by another JVM; it is identical.
                if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
            }
            return target;
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static Path extractInto(String resource, Path dir, String name, String expected) throws IOException {
        Path tmp = createOwnerOnlyFile(dir, ".extract-");
        String hash = expected != null ? copy(resource, tmp) : copyHashing(resource, tmp);
        Path target = dir.resolve(hashedName(name, expected != null ? expected : hash));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        setReadExecOnly(target);
        return target;
    }

    static String hashedName(String name, String sha256) {
        int dot = name.lastIndexOf('.');
        return name.substring(0, dot) + "-" + sha256.substring(0, HASH_DIGITS_IN_NAME) + name.substring(dot);
    }

    /** Copies the resource into {@code target} (created owner-only); returns null. */
    private static String copy(String resource, Path target) throws IOException {
        InputStream resourceStream = NativeLoader.class.getResourceAsStream(resource);
        if (resourceStream == null) {
            throw new IOException("the resource " + resource + " is gone");
        }
        // WRITE without CREATE keeps the owner-only permissions the file was created with.
        try (InputStream in = resourceStream;
                OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        }
        return null;
    }

    /** Copies the resource into {@code target} (created owner-only), returns its SHA-256. */
    private static String copyHashing(String resource, Path target) throws IOException {
        MessageDigest digest = sha256();
        // WRITE without CREATE keeps the owner-only permissions the file was created with.
        InputStream resourceStream = NativeLoader.class.getResourceAsStream(resource);
        if (resourceStream == null) {
            throw new IOException("the resource " + resource + " is gone");
        }
        try (InputStream in = resourceStream;
                OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return hex(digest.digest());
    }

    private static Path createPrivateDir(Path parent) throws IOException {
        if (POSIX) {
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR);
            return Files.createTempDirectory(parent, "freshcreds-", attr);
        }
        return Files.createTempDirectory(parent, "freshcreds-");
    }

    private static void setReadExecOnly(Path file) {
        try {
            if (POSIX) {
                Files.setPosixFilePermissions(file, OWNER_READ_EXEC);
            }
        } catch (IOException | RuntimeException ignored) {
            // stays owner read-write, which is enough
        }
    }

    /** Deletes other versions' files and unfinished extractions older than STALE_AFTER_MILLIS. */
    static void removeStale(Path dir, Path keep) {
        long cutoff = System.currentTimeMillis() - STALE_AFTER_MILLIS;
        String prefix = System.mapLibraryName(LIBRARY);
        prefix = prefix.substring(0, prefix.lastIndexOf('.')) + "-";
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                boolean ours = n.startsWith(prefix) || (n.startsWith(".extract-") && n.endsWith(".tmp"));
                if (ours && !p.equals(keep) && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
                    deleteQuietly(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // clean-up is best effort
        }
    }

    /** The manifest's SHA-256 for {@code entry} ({@code <platform>/<file>}), or null. */
    private static String manifestHash(String entry) {
        try (InputStream in = NativeLoader.class.getResourceAsStream(MANIFEST_RESOURCE)) {
            if (in == null) {
                return null;
            }
            List<String> lines = new ArrayList<String>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
            return parseManifest(lines).get(entry);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Parses {@code sha256sum} output: {@code <64 hex digits><space><space or *><path>}.
     *
     * @param lines the manifest's lines
     * @return path to lower-case hash; malformed lines are skipped
     */
    static Map<String, String> parseManifest(List<String> lines) {
        Map<String, String> hashes = new HashMap<String, String>();
        for (String line : lines) {
            if (line.length() < 67 || line.charAt(64) != ' ' || (line.charAt(65) != ' ' && line.charAt(65) != '*')) {
                continue;
            }
            String hash = line.substring(0, 64).toLowerCase(Locale.ROOT);
            if (hash.matches("[0-9a-f]{64}")) {
                hashes.put(line.substring(66).trim(), hash);
            }
        }
        return Collections.unmodifiableMap(hashes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            s.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return s.toString();
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            p.toFile().deleteOnExit();
        }
    }

    private static Path tmpdir() {
        return Paths.get(System.getProperty("java.io.tmpdir", ".")).toAbsolutePath();
    }

    /**
     * The error for a failed load. First line: what failed, on which os / arch / libc, the first
     * real reason of the operating system (an attempt that found a file), and the fix; then one
     * line per attempt.
     */
    private static UnsatisfiedLinkError failure(List<Attempt> attempts, String headline, String fix) {
        Attempt primary = attempts.get(0);
        for (Attempt a : attempts) {
            if (!a.missing) {
                primary = a;
                break;
            }
        }
        String os = os(System.getProperty("os.name", ""));
        String arch = arch(System.getProperty("os.arch", ""));
        StringBuilder m = new StringBuilder("freshcreds: ")
                .append(headline != null ? headline : "cannot load the native library")
                .append(" on ").append(os).append(' ').append(arch).append(" with libc ").append(libc())
                .append(" (os.name=").append(System.getProperty("os.name"))
                .append(", os.arch=").append(System.getProperty("os.arch")).append("): ")
                .append(primary.reason().replace('\n', ' '))
                .append(". Fix: ").append(fix)
                .append("; or check FreshCredentials.isAvailable() and fall back to the AWS SDK's own provider.");
        for (Attempt a : attempts) {
            m.append("\n  tried ").append(a.what).append(": ").append(a.reason().replace('\n', ' '));
        }
        m.append("\n  resource ").append(resourcePath()).append("; to use another copy of the library set -D")
                .append(LIBRARY_PATH_PROPERTY).append("=/path/to/").append(System.mapLibraryName(LIBRARY));
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(m.toString());
        for (Attempt a : attempts) {
            e.addSuppressed(a.error);
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
