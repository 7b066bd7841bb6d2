package dev.freshcreds.internal;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Enumeration;
import java.util.function.LongSupplier;
import java.util.jar.JarFile;

/**
 * The SDKs' global hook declarations, and how the agent makes them visible (Java agent only).
 *
 * <p>Each SDK finds its global hooks through {@code getResources} of the class loader that reads
 * them: SDK v2 {@value #SDKV2_PATH}, SDK v1 {@value #SDKV1_PATH}. A jar that carried those
 * resources would break every SDK in a child class loader of the one holding the jar, even with
 * the hooks switched off: the SDK would find the declarations there, load the named classes
 * through a loader that cannot see that SDK, and fail to build clients. So freshcreds' jar keeps
 * the texts at an inert path of its own ({@value #INERT_DIRECTORY}), and they reach the SDKs in
 * one of two explicit ways:
 * <ul>
 * <li>the agent ({@link #publish}) writes the global jar (below), which this jar carries as
 *     {@value #PREBUILT_JAR}, into a new owner-only directory of its own and appends it to the
 *     system class path, where the agent's own classes are, and where every loader that
 *     delegates to the system class loader finds them; {@link HookInjector} then has the
 *     declared classes link against each SDK;</li>
 * <li>without the agent, the {@code global} jar of the same release (the build's
 *     {@code globalJar} task) holds them, for applications that put it beside the SDK.</li>
 * </ul>
 * Not an API.
 */
final class HookDeclarations {
    /** Where SDK v2 reads its global interceptors. */
    static final String SDKV2_PATH = "software/amazon/awssdk/global/handlers/execution.interceptors";
    /** Where SDK v1 reads its global request handlers. */
    static final String SDKV1_PATH = "com/amazonaws/global/handlers/request.handler2s";
    /** Where freshcreds' jar keeps the declaration texts, under the SDKs' file names. */
    static final String INERT_DIRECTORY = "dev/freshcreds/hooks/";
    /** The SDK declaration paths, each filled from the file of the same name in {@link #INERT_DIRECTORY}. */
    static final String[] SDK_PATHS = {SDKV2_PATH, SDKV1_PATH};
    /** How the directory the agent writes its declarations jar into starts (then random characters). */
    static final String DIRECTORY_PREFIX = "freshcreds-hooks-";
    /** The declarations jar's name in that directory. */
    static final String JAR_NAME = "declarations.jar";
    /**
     * The declarations jar as this jar carries it (the build's {@code globalJar}, byte for byte):
     * a nested jar, which no class loader searches, so it is as inert as the texts.
     */
    static final String PREBUILT_JAR = INERT_DIRECTORY + "global.jar";
    /** The most directory names {@link #createDirectory} tries before it gives up. */
    static final int MAX_NAME_ATTEMPTS = 10;

    private HookDeclarations() {
    }

    /** The inert resource that holds the text for {@code sdkPath}. */
    static String inertResource(String sdkPath) {
        return INERT_DIRECTORY + sdkPath.substring(sdkPath.lastIndexOf('/') + 1);
    }

    /**
     * Makes the declarations visible to every class loader that delegates to the system class
     * loader, unless it sees them already (the {@code global} jar on the system class path);
     * never throws: when it cannot, one warning names the reason, and the SDKs build their
     * clients with their own credentials.
     *
     * @param instrumentation the agent's instrumentation
     * @return the jar appended to the system class path, or null when none was
     */
    static Path publish(Instrumentation instrumentation) {
        try {
            if (systemLoaderDeclares()) {
                Global.LOG.fine("the hook declarations are on the system class path already");
                return null;
            }
            Path jar = writeJar(NativeLoader.tmpdir());
            instrumentation.appendToSystemClassLoaderSearch(new JarFile(jar.toFile()));
            Global.LOG.fine("declared the hooks to the AWS SDKs through " + jar);
            return jar;
        } catch (Throwable e) {
            Global.warnOnce("agent-declare", Global.AGENT_CANNOT_DECLARE + " (" + e + "); AWS SDK clients keep"
                    + " their own credentials. Fix: make java.io.tmpdir (" + NativeLoader.tmpdir() + ") a directory"
                    + " this user can create directories in, or put freshcreds-<version>.jar and"
                    + " freshcreds-<version>-global.jar next to the SDK and set -D" + Global.PROPERTY
                    + "=true instead of using -javaagent");
            return null;
        }
    }

    /** Whether the system class loader finds freshcreds' declaration for SDK v2 already. */
    private static boolean systemLoaderDeclares() throws IOException {
        // The first class named (no regex: it would load the regex engine into a starting JVM).
        String text = new String(read(inertResource(SDKV2_PATH)), StandardCharsets.UTF_8).trim();
        int end = text.indexOf('\n');
        String ours = (end < 0 ? text : text.substring(0, end)).trim();
        Enumeration<URL> found = ClassLoader.getSystemClassLoader().getResources(SDKV2_PATH);
        while (found.hasMoreElements()) {
            try (InputStream in = found.nextElement().openStream()) {
                if (new String(readAll(in), StandardCharsets.UTF_8).contains(ours)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Writes the declarations jar into a new directory under {@code parent}: created in one step
     * ({@code mkdir}, which fails if anything has the name) with an unpredictable name and, where
     * the file system has POSIX permissions, owner-only (0700) from the start, so nobody else can
     * have put or replaced anything in it. Both are removed when the JVM exits. The jar is copied
     * from {@value #PREBUILT_JAR} (the global jar, built from the texts).
     */
    static Path writeJar(Path parent) throws IOException {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path dir = createDirectory(parent, posix, UnpredictableBits.INSTANCE);
        dir.toFile().deleteOnExit();
        Path jar = dir.resolve(JAR_NAME);
        // Registered after the directory: files registered later are deleted first.
        jar.toFile().deleteOnExit();
        byte[] bytes = read(PREBUILT_JAR);
        if (posix) {
            Files.createFile(jar, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(jar);
        }
        // A plain stream: NIO's file channels would be classes more to load in a starting JVM.
        try (OutputStream file = new FileOutputStream(jar.toFile())) {
            file.write(bytes);
        }
        return jar;
    }

    /**
     * A new directory {@value #DIRECTORY_PREFIX}{@code <16 random hex digits>} under
     * {@code parent} (the digits from {@code random}); another name on a clash, at most
     * {@value #MAX_NAME_ATTEMPTS} names.
     */
    static Path createDirectory(Path parent, boolean posix, LongSupplier random) throws IOException {
        for (int attempt = 1; ; attempt++) {
            // Sixteen hex digits (String.format would load the regex engine into a starting JVM).
            String digits = Long.toHexString(random.getAsLong());
            Path dir = parent.resolve(DIRECTORY_PREFIX + "0000000000000000".substring(digits.length()) + digits);
            try {
                return posix
                        ? Files.createDirectory(dir,
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                        : Files.createDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= MAX_NAME_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Unpredictable bits: eight bytes of {@code /dev/urandom} where there is one (well under a
     * millisecond), else {@link SecureRandom} (whose seeding costs tens of milliseconds of a
     * JVM's start). A class, not a lambda: the first lambda of a JVM spins up its bootstrap.
     */
    private static final class UnpredictableBits implements LongSupplier {
        static final UnpredictableBits INSTANCE = new UnpredictableBits();

        @Override
        public long getAsLong() {
            return randomLong();
        }
    }

    private static long randomLong() {
        File urandom = new File("/dev/urandom");
        if (urandom.canRead()) {
            try (InputStream in = new FileInputStream(urandom)) {
                long value = 0;
                for (int i = 0; i < 8; i++) {
                    int b = in.read();
                    if (b < 0) {
                        throw new IOException("end of /dev/urandom");
                    }
                    value = (value << 8) | b;
                }
                return value;
            } catch (IOException e) {
                // SecureRandom below
            }
        }
        return new SecureRandom().nextLong();
    }

    /** A declaration text of this jar. */
    static byte[] read(String resource) throws IOException {
        try (InputStream in = HookDeclarations.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException("the resource " + resource + " is missing from freshcreds' jar");
            }
            return readAll(in);
        }
    }

    /** Everything {@code in} has left (a declaration text, a class file of this jar). */
    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
