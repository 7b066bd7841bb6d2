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
 * What {@link NativeLoader} does when the library is not already extracted: the library named
 * by {@code -Dfreshcreds.library.path}, extraction from the jar, {@code System.loadLibrary}, and
 * the error that explains a failure. A class of its own so that a JVM on the quick path (the
 * library extracted by an earlier JVM) neither loads nor verifies any of it.
 */
final class NativeExtraction {
    /**
     * Extracted files of other versions (and unfinished extractions) older than this are deleted
     * after a successful extraction; younger ones may be in the middle of being loaded by another JVM.
     */
    static final long STALE_AFTER_MILLIS = TimeUnit.HOURS.toMillis(1);

    private static final String LIBRARY = "freshcreds";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_READ_EXEC = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Random NAMES = new Random();

    private NativeExtraction() {
    }

    /** Loads the file {@code -Dfreshcreds.library.path} names, and nothing else. */
    static String loadNamedFile(String override) {
        String path = new File(override).getAbsolutePath();
        try {
            System.load(path);
            return path;
        } catch (Throwable e) {
            List<Attempt> attempts = new ArrayList<Attempt>();
            attempts.add(new Attempt("-D" + NativeLoader.LIBRARY_PATH_PROPERTY + "=" + override, e, !new File(path).isFile()));
            throw failure(attempts, "could not load " + override + " named by -D" + NativeLoader.LIBRARY_PATH_PROPERTY,
                    "set -D" + NativeLoader.LIBRARY_PATH_PROPERTY + " to a " + System.mapLibraryName(LIBRARY)
                            + " built for " + NativeLoader.platform() + ", or remove it to use the bundled library");
        }
    }

    /**
     * Extracts and loads the bundled library, else {@code System.loadLibrary}.
     *
     * @param platform the platform directory, e.g. {@code linux-x86_64}
     * @param name the library file name
     * @param compiledHash its SHA-256 from {@link BundledNatives}, or null
     * @param mayShare whether the shared directory may be used (not after a file there was
     *     refused: then a fresh private copy)
     * @return where the library was loaded from
     * @throws UnsatisfiedLinkError naming every attempt when none loads
     */
    static String loadFromJarOrLibraryPath(String platform, String name, String compiledHash, boolean mayShare) {
        List<Attempt> attempts = new ArrayList<Attempt>();
        String resource = "/native/" + platform + "/" + name;
        URL url = NativeLoader.class.getResource(resource);
        String fix;
        if (url == null) {
            attempts.add(new Attempt("bundled " + resource,
                    new UnsatisfiedLinkError("the jar has no native library for this platform at " + resource), true));
            fix = "this jar carries no library for " + platform + ": build one (scripts/build-natives.sh) and set -D"
                    + NativeLoader.LIBRARY_PATH_PROPERTY + "=/path/to/" + name
                    + " or install it in java.library.path";
        } else {
            try {
                return loadBundled(resource, platform, name, compiledHash, mayShare);
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

    /**
     * Creates {@code dir} owner-only (0700 from the start: no {@code chmod} afterwards, which
     * would follow a symlink put in its place); its parents are created as needed. Something
     * already there (another JVM's directory, a symlink) is left as it is: the caller checks it
     * without following links.
     */
    static void createPrivateDirectory(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent);
        }
        try {
            if (POSIX) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException raced) {
            // another JVM created it, or something else is there: the caller checks it
        }
    }

    /**
     * Refuses a library file whose SHA-256 is not the expected one: one warning naming it, and
     * the file is removed (best effort) so that the next JVM extracts a good copy.
     */
    static void refuse(Path file, String expected, String actual) {
        NativeLog.log(NativeLayout.LOG_WARN, "freshcreds::native_loader", "freshcreds: the native library " + file + " "
                + NativeLoader.HASH_MISMATCH + " (SHA-256 " + (actual == null ? "unreadable" : actual)
                + ", expected " + expected + "); it is not loaded but removed, and a fresh private copy"
                + " extracted from the jar is loaded instead");
        deleteQuietly(file);
    }

    /** The jar's own copy of the library does not have the SHA-256 the jar lists for it. */
    private static final class JarCopyMismatch extends IOException {
        private static final long serialVersionUID = 1L;

        JarCopyMismatch(String resource, String expected, String actual) {
            super("the bundled " + resource + " " + NativeLoader.HASH_MISMATCH + " (SHA-256 " + actual + ", expected "
                    + expected + "): the jar is damaged or was repacked");
        }
    }

    /**
     * {@link NativeLoader#privateDirectory} where there is no {@code unix} view or no
     * {@code /proc}: the POSIX permissions, and the owner of a file created in the directory.
     */
    static boolean privateByPosixView(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
            return false;
        }
        Path probe = createOwnerOnlyFile(dir, ".owner-");
        try {
            return Files.getOwner(probe).equals(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS));
        } finally {
            deleteQuietly(probe);
        }
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

    private static String loadBundled(String resource, String platform, String name, String compiledHash,
            boolean mayShare) throws BundledFailure {
        // A jar repacked with libraries of its own has no compiled hash for them: its manifest.
        String expected = compiledHash != null ? compiledHash : manifestHash(platform + "/" + name);
        if (expected == null) {
            throw new BundledFailure("bundled " + resource, new UnsatisfiedLinkError("the jar lists no SHA-256 for "
                    + resource + " in " + NativeLoader.MANIFEST_RESOURCE + ", and a library that cannot be verified is"
                    + " not loaded"), "use a jar built by the freshcreds build (it lists every library in "
                    + NativeLoader.MANIFEST_RESOURCE + "), or set -D" + NativeLoader.LIBRARY_PATH_PROPERTY
                    + " to a library you trust");
        }
        Path dir = mayShare ? NativeLoader.nativeDir() : null;
        Path file = null;
        try {
            if (dir != null) {
                file = extractShared(resource, dir, name, expected);
            }
        } catch (JarCopyMismatch e) {
            throw new BundledFailure("bundled " + resource, e, "use an undamaged freshcreds jar");
        } catch (IOException e) {
            // an unusable shared directory: a private one below
            file = null;
        }
        boolean privateCopy = file == null;
        Path privateDir = null;
        try {
            if (privateCopy) {
                privateDir = createPrivateDir(NativeLoader.tmpdir());
                file = extractInto(resource, privateDir, name, expected);
            }
        } catch (JarCopyMismatch e) {
            deleteQuietly(privateDir);
            throw new BundledFailure("bundled " + resource, e, "use an undamaged freshcreds jar");
        } catch (IOException | RuntimeException e) {
            Path where = dir != null ? dir : NativeLoader.tmpdir();
            throw new BundledFailure("extracting bundled " + resource + " into " + where, e,
                    "set -D" + NativeLoader.NATIVE_DIR_PROPERTY + " to a writable directory of this user");
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
                privateDir = createPrivateDir(NativeLoader.tmpdir());
                file = extractInto(resource, privateDir, name, expected);
                System.load(file.toString());
            }
        } catch (UnsatisfiedLinkError e) {
            String fix = isNoexec(file.getParent(), e)
                    ? "the directory " + file.getParent() + " is on a mount that does not allow executing code"
                            + " (noexec): set -D" + NativeLoader.NATIVE_DIR_PROPERTY + " to a directory that does"
                    : "the bundled library does not link on this system (the reason above): set -D"
                            + NativeLoader.LIBRARY_PATH_PROPERTY + " to a build for it, or install one in java.library.path";
            throw new BundledFailure("bundled " + resource + " extracted to " + file, e, fix);
        } catch (IOException e) {
            throw new BundledFailure("extracting bundled " + resource + " into " + NativeLoader.tmpdir(), e,
                    "set -D" + NativeLoader.NATIVE_DIR_PROPERTY + " to a writable directory of this user");
        } finally {
            if (privateCopy && privateDir != null) {
                // The loaded library stays mapped (on Windows the delete fails while it is loaded).
                deleteQuietly(file);
                deleteQuietly(privateDir);
            }
        }
        if (!privateCopy) {
            // Reached only when this JVM extracted (the quick path found no file): a new version
            // arrived, so older ones may be left over.
            removeStale(dir, file);
        }
        return file.toString();
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
     * present and its SHA-256 is {@code expected}, else extracted next to it (hashed as it is
     * written) and moved into place atomically, so a file of that name is always complete (and,
     * in a directory only this user can write to, what the jar holds). Null when a file there was
     * refused for its hash: the caller extracts a private copy.
     */
    private static Path extractShared(String resource, Path dir, String name, String expected) throws IOException {
        Path target = dir.resolve(NativeLoader.hashedName(name, expected));
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            String actual = NativeLoader.sha256OrNull(target);
            if (expected.equals(actual)) {
                return target;
            }
            refuse(target, expected, actual);
            return null;
        }
        Path tmp = createOwnerOnlyFile(dir, ".extract-");
        try {
            requireHash(resource, copy(resource, tmp), expected);
            setReadExecOnly(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Extracts into a fresh private directory, checking the SHA-256 of the bytes written. */
    private static Path extractInto(String resource, Path dir, String name, String expected) throws IOException {
        Path tmp = createOwnerOnlyFile(dir, ".extract-");
        requireHash(resource, copy(resource, tmp), expected);
        Path target = dir.resolve(NativeLoader.hashedName(name, expected));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        setReadExecOnly(target);
        return target;
    }

    private static void requireHash(String resource, String actual, String expected) throws JarCopyMismatch {
        if (!expected.equals(actual)) {
            throw new JarCopyMismatch(resource, expected, actual);
        }
    }

    /**
     * Copies the resource into {@code target} (created owner-only), hashing what is written.
     *
     * @return the SHA-256 of the bytes written, in hex
     */
    private static String copy(String resource, Path target) throws IOException {
        MessageDigest digest = sha256();
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
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return NativeLoader.hex(digest.digest());
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
        try (InputStream in = NativeLoader.class.getResourceAsStream(NativeLoader.MANIFEST_RESOURCE)) {
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
        String os = NativeLoader.os(System.getProperty("os.name", ""));
        String arch = NativeLoader.arch(System.getProperty("os.arch", ""));
        StringBuilder m = new StringBuilder("freshcreds: ")
                .append(headline != null ? headline : "cannot load the native library")
                .append(" on ").append(os).append(' ').append(arch).append(" with libc ").append(NativeLoader.libc())
                .append(" (os.name=").append(System.getProperty("os.name"))
                .append(", os.arch=").append(System.getProperty("os.arch")).append("): ")
                .append(primary.reason().replace('\n', ' '))
                .append(". Fix: ").append(fix)
                .append("; or check FreshCredentials.isAvailable() and fall back to the AWS SDK's own provider.");
        for (Attempt a : attempts) {
            m.append("\n  tried ").append(a.what).append(": ").append(a.reason().replace('\n', ' '));
        }
        m.append("\n  resource ").append(NativeLoader.resourcePath()).append("; to use another copy of the library set -D")
                .append(NativeLoader.LIBRARY_PATH_PROPERTY).append("=/path/to/").append(System.mapLibraryName(LIBRARY));
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
