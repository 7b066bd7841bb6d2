package dev.freshcreds.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Makes the SDKs' global hooks of this jar link against the SDK that asks for them, in any class
 * loader layout (Java agent only).
 *
 * <p>The hook declarations ({@code software/amazon/awssdk/global/handlers/execution.interceptors},
 * {@code com/amazonaws/global/handlers/request.handler2s}) are read by each SDK with
 * {@code getResources} of its own class loader, which also finds them on the system class path,
 * where the agent put them ({@link HookDeclarations}); the SDK then loads the named class through
 * its own loader. A loader that delegates
 * to its parent first (Spring Boot's {@code LaunchedClassLoader}, most application servers for
 * classes they do not have) gets it from the system class loader, which cannot see the SDK: the
 * class does not link ({@code NoClassDefFoundError: …/ExecutionInterceptor}) and the SDK fails to
 * build the client.
 *
 * <p>This transformer watches for the SDK class that reads the declarations
 * ({@link Sdk#trigger}) being defined by a class loader. When that loader would get this jar's
 * adapter classes ({@code dev.freshcreds.sdkv1}, {@code dev.freshcreds.sdkv2}) from a loader that
 * sees another SDK or none, it defines those classes in the SDK's loader first, from this jar's
 * bytes: a class loader answers a class it defined itself before it asks its parent, so the SDK
 * gets hooks linked against itself. The rest of freshcreds (the shared source, the native
 * library) stays in the system class loader, one per JVM. It changes no byte code: it returns
 * every class as it came.
 *
 * <p>Loaders that see a copy of freshcreds of their own (the jar also in {@code WEB-INF/lib} of
 * a child-first web application) link that copy themselves and are left alone, and so are
 * loaders that cannot see this jar at all (they cannot see its declarations either). Not an API.
 */
final class HookInjector implements ClassFileTransformer {
    /** One row per SDK. */
    enum Sdk {
        V2("SDK v2", "software/amazon/awssdk/core/interceptor/ClasspathInterceptorChainFactory",
                "software.amazon.awssdk.core.interceptor.ExecutionInterceptor", "dev/freshcreds/sdkv2/"),
        V1("SDK v1", "com/amazonaws/handlers/HandlerChainFactory",
                "com.amazonaws.handlers.RequestHandler2", "dev/freshcreds/sdkv1/");

        /** For messages. */
        final String label;
        /** The SDK class that reads the hook declarations: defined before they are read. */
        final String trigger;
        /** The type every declared hook implements. */
        final String hookType;
        /** The adapter package (internal name, with the trailing slash): defined as a whole. */
        final String adapterPackage;

        Sdk(String label, String trigger, String hookType, String adapterPackage) {
            this.label = label;
            this.trigger = trigger;
            this.hookType = hookType;
            this.adapterPackage = adapterPackage;
        }
    }

    /** What a class loader that defines an SDK needs. */
    enum Decision {
        /** It gets this jar's adapters linked against the same SDK through delegation. */
        LINKS_ITSELF,
        /** It has a copy of freshcreds of its own, or none: left alone. */
        OWN_COPY_OR_NONE,
        /** The adapters must be defined in it. */
        DEFINE
    }

    private static final String CORE_CLASS = "dev.freshcreds.internal.Global";

    private final Instrumentation instrumentation;
    private final ClassLoader home = HookInjector.class.getClassLoader();
    /** Loaders already handled, per SDK (weak: an undeployed application's loader can go). */
    private final Map<Sdk, Map<ClassLoader, Boolean>> handled = new LinkedHashMap<Sdk, Map<ClassLoader, Boolean>>();
    private volatile Method defineClass;

    private HookInjector(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
        for (Sdk sdk : Sdk.values()) {
            handled.put(sdk, Collections.synchronizedMap(new WeakHashMap<ClassLoader, Boolean>()));
        }
    }

    /**
     * Registers the transformer, and handles the SDK loaders that exist already (an agent
     * attached to a running JVM).
     *
     * @param instrumentation the agent's instrumentation
     */
    static void install(Instrumentation instrumentation) {
        HookInjector injector = new HookInjector(instrumentation);
        instrumentation.addTransformer(injector);
        for (Class<?> loaded : instrumentation.getAllLoadedClasses()) {
            for (Sdk sdk : Sdk.values()) {
                if (loaded.getName().replace('.', '/').equals(sdk.trigger) && loaded.getClassLoader() != null) {
                    injector.prepare(loaded.getClassLoader(), sdk);
                }
            }
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (loader == null || className == null || classBeingRedefined != null) {
            return null;
        }
        for (Sdk sdk : Sdk.values()) {
            if (sdk.trigger.equals(className)) {
                prepare(loader, sdk);
            }
        }
        return null;
    }

    /** Defines the adapters of {@code sdk} in {@code loader} when it needs them; never throws. */
    void prepare(ClassLoader loader, Sdk sdk) {
        Map<ClassLoader, Boolean> done = handled.get(sdk);
        synchronized (done) {
            if (done.containsKey(loader)) {
                return;
            }
            done.put(loader, Boolean.TRUE);
        }
        try {
            if (decide(loader, sdk) == Decision.DEFINE) {
                define(loader, sdk);
            }
        } catch (Throwable e) {
            Global.warnOnce("agent-define-" + sdk.name(), Global.AGENT_CANNOT_DEFINE + " for " + sdk.label
                    + " in " + describe(loader) + " (" + e + "); that SDK will not be able to load "
                    + sdk.adapterPackage.replace('/', '.') + "* and its clients may fail to build."
                    + " Fix: put freshcreds-<version>.jar next to the SDK (the application's own libraries) instead of"
                    + " using -javaagent, or report this with the Java version and the class loader named here");
        }
    }

    /** Whether {@code loader} needs this jar's adapters defined in it. */
    Decision decide(ClassLoader loader, Sdk sdk) {
        Class<?> core = tryLoad(loader, CORE_CLASS);
        if (core != Global.class) {
            return Decision.OWN_COPY_OR_NONE;
        }
        Class<?> theirs = tryLoad(loader, sdk.hookType);
        if (theirs == null) {
            return Decision.OWN_COPY_OR_NONE;
        }
        return tryLoad(home, sdk.hookType) == theirs ? Decision.LINKS_ITSELF : Decision.DEFINE;
    }

    private static Class<?> tryLoad(ClassLoader loader, String name) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            return null;
        } catch (LinkageError e) {
            return null;
        }
    }

    private void define(ClassLoader loader, Sdk sdk) throws IOException, ReflectiveOperationException {
        Map<String, byte[]> classes = adapterClasses(sdk);
        Method define = defineClassMethod();
        ProtectionDomain domain = HookInjector.class.getProtectionDomain();
        Map<String, Boolean> defined = new LinkedHashMap<String, Boolean>();
        for (String name : classes.keySet()) {
            defineWithSupertypes(loader, name, classes, define, domain, defined);
        }
        Global.LOG.fine("defined " + classes.size() + " " + sdk.label + " adapter classes in " + describe(loader));
    }

    /** Defines {@code name} after those of its supertypes that are adapter classes too. */
    private static void defineWithSupertypes(ClassLoader loader, String name, Map<String, byte[]> classes,
            Method define, ProtectionDomain domain, Map<String, Boolean> defined)
            throws IOException, ReflectiveOperationException {
        if (defined.containsKey(name)) {
            return;
        }
        defined.put(name, Boolean.TRUE);
        byte[] bytes = classes.get(name);
        for (String supertype : ClassFileSupertypes.of(bytes)) {
            if (classes.containsKey(supertype)) {
                defineWithSupertypes(loader, supertype, classes, define, domain, defined);
            }
        }
        try {
            define.invoke(loader, name.replace('/', '.'), bytes, 0, bytes.length, domain);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            // Already defined there (an agent attached late, a second agent): that one stands.
            if (!(cause instanceof LinkageError) || cause.getMessage() == null
                    || !cause.getMessage().contains("duplicate")) {
                throw e;
            }
        }
    }

    /** {@code ClassLoader.defineClass(String, byte[], int, int, ProtectionDomain)}, made accessible. */
    private Method defineClassMethod() throws ReflectiveOperationException {
        Method m = defineClass;
        if (m == null) {
            openJavaLang();
            m = ClassLoader.class.getDeclaredMethod("defineClass", String.class, byte[].class, int.class, int.class,
                    ProtectionDomain.class);
            m.setAccessible(true);
            defineClass = m;
        }
        return m;
    }

    /**
     * Java 9 and later: opens {@code java.lang} to this class's module, which the agent's
     * {@link Instrumentation} may do ({@code redefineModule}); called reflectively, the jar
     * targets Java 8, where there is nothing to open.
     */
    private void openJavaLang() throws ReflectiveOperationException {
        Method getModule;
        try {
            getModule = Class.class.getMethod("getModule");
        } catch (NoSuchMethodException java8) {
            return;
        }
        Object base = getModule.invoke(Object.class);
        Object mine = getModule.invoke(HookInjector.class);
        Class<?> module = Class.forName("java.lang.Module");
        Method redefine = Instrumentation.class.getMethod("redefineModule", module, Set.class, Map.class, Map.class,
                Set.class, Map.class);
        redefine.invoke(instrumentation, base, Collections.emptySet(), Collections.emptyMap(),
                Collections.singletonMap("java.lang", Collections.singleton(mine)), Collections.emptySet(),
                Collections.emptyMap());
    }

    /** The adapter classes of {@code sdk} in this jar: internal name to class file. */
    static Map<String, byte[]> adapterClasses(Sdk sdk) throws IOException {
        File location = codeLocation();
        Map<String, byte[]> classes = new LinkedHashMap<String, byte[]>();
        if (location.isDirectory()) {
            File dir = new File(location, sdk.adapterPackage);
            File[] files = dir.listFiles();
            if (files != null) {
                for (File f : files) {
                    if (f.getName().endsWith(".class")) {
                        classes.put(sdk.adapterPackage + f.getName().substring(0, f.getName().length() - 6),
                                java.nio.file.Files.readAllBytes(f.toPath()));
                    }
                }
            }
        } else {
            try (JarFile jar = new JarFile(location)) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    String n = e.getName();
                    if (n.startsWith(sdk.adapterPackage) && n.endsWith(".class") && n.indexOf('/', sdk.adapterPackage.length()) < 0) {
                        try (InputStream in = jar.getInputStream(e)) {
                            classes.put(n.substring(0, n.length() - 6), HookDeclarations.readAll(in));
                        }
                    }
                }
            }
        }
        if (classes.isEmpty()) {
            throw new IOException("no " + sdk.adapterPackage + " classes in " + location);
        }
        return classes;
    }

    private static File codeLocation() throws IOException {
        CodeSource source = HookInjector.class.getProtectionDomain().getCodeSource();
        URL url = source == null ? null : source.getLocation();
        if (url == null) {
            throw new IOException("the agent's code source is unknown");
        }
        try {
            return new File(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("the agent's code source " + url + " is not a file", e);
        }
    }

    /** A class loader for messages: its class and identity, never its URLs (paths of the host). */
    static String describe(ClassLoader loader) {
        return loader.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(loader));
    }
}
