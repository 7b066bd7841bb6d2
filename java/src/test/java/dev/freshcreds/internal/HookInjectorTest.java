package dev.freshcreds.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

import org.junit.Test;

/** The pieces of the agent's hook injection that need no second JVM. */
public class HookInjectorTest {
    private static byte[] classFile(Class<?> c) throws IOException {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) > 0) {
                out.write(b, 0, n);
            }
            return out.toByteArray();
        }
    }

    @Test
    public void classFileSupertypesNamesTheSuperclassAndTheInterfaces() throws IOException {
        assertEquals(Arrays.asList("java/lang/Object", "java/lang/instrument/ClassFileTransformer"),
                ClassFileSupertypes.of(classFile(HookInjector.class)));
        assertEquals(Arrays.asList("com/amazonaws/handlers/RequestHandler2"),
                ClassFileSupertypes.of(classFile(dev.freshcreds.sdkv1.GlobalRequestHandler.class)));
        assertEquals(Arrays.asList("java/lang/Object", "software/amazon/awssdk/core/interceptor/ExecutionInterceptor"),
                ClassFileSupertypes.of(classFile(dev.freshcreds.sdkv2.RejectionInterceptor.class)));
    }

    @Test
    public void theAdapterClassesOfAnSdkAreItsWholePackageAndNothingElse() throws IOException {
        Map<String, byte[]> v2 = HookInjector.adapterClasses(HookInjector.Sdk.V2);
        assertTrue(v2.keySet().toString(), v2.containsKey("dev/freshcreds/sdkv2/GlobalInterceptor"));
        assertTrue(v2.keySet().toString(), v2.containsKey("dev/freshcreds/sdkv2/FreshAwsCredentialsProvider$Builder"));
        for (String name : v2.keySet()) {
            assertTrue(name, name.startsWith("dev/freshcreds/sdkv2/") && name.indexOf('/', "dev/freshcreds/sdkv2/".length()) < 0);
        }
        assertTrue(HookInjector.adapterClasses(HookInjector.Sdk.V1).containsKey("dev/freshcreds/sdkv1/GlobalRequestHandler"));
    }

    @Test
    public void aLoaderThatSeesTheSameSdkAsTheAgentIsLeftToLinkTheHooksItself() {
        ClassLoader here = HookInjectorTest.class.getClassLoader();
        HookInjector injector = null;
        try {
            java.lang.reflect.Constructor<HookInjector> c = HookInjector.class.getDeclaredConstructor(
                    java.lang.instrument.Instrumentation.class);
            c.setAccessible(true);
            injector = c.newInstance((Object) null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        assertEquals(HookInjector.Decision.LINKS_ITSELF, injector.decide(here, HookInjector.Sdk.V2));
        // A loader that cannot see freshcreds (its parent is the platform loader) is left alone.
        ClassLoader isolated = new java.net.URLClassLoader(new java.net.URL[0], ClassLoader.getSystemClassLoader().getParent());
        assertEquals(HookInjector.Decision.OWN_COPY_OR_NONE, injector.decide(isolated, HookInjector.Sdk.V2));
    }
}
