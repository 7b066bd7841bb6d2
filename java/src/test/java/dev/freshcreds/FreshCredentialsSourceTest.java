package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.Test;

import com.amazonaws.auth.AWSCredentials;
import com.amazonaws.auth.AWSSessionCredentials;
import com.amazonaws.auth.BasicAWSCredentials;
import dev.freshcreds.internal.NativeLayout;
import dev.freshcreds.internal.NativeLoader;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.LogCapture;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/** The Java API over the real native library, without network (or with a closed port). */
public class FreshCredentialsSourceTest {
    static final String SECRET = "secret-from-props-0123456789";
    static final String TOKEN = "token-from-props-0123456789";

    static FreshCredentialsOptions.Builder isolated() {
        return FreshCredentialsOptions.builder().readSystemProperties(false);
    }

    /** Credentials from the system-properties source: no network, no files. */
    static FreshCredentialsOptions staticKeys(boolean withToken) {
        FreshCredentialsOptions.Builder b = isolated()
                .source("systemProperties")
                .option("aws.accessKeyId", withToken ? "ASIAPROPS" : "AKIAPROPS")
                .option("aws.secretAccessKey", SECRET);
        if (withToken) {
            b.option("aws.sessionToken", TOKEN);
        }
        return b.build();
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    public void anUnknownOptionIsAnIllegalArgumentExceptionNamingTheKey() {
        try {
            FreshCredentialsSource.create(isolated().option("refreshLead", "5").build());
            fail("accepted an unknown option");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`refreshLead`"));
        }
    }

    @Test
    public void aBadOptionValueIsAnIllegalArgumentExceptionNamingTheKeyAndValue() {
        try {
            FreshCredentialsSource.create(isolated().option("jitterMillis", "soon").build());
            fail("accepted a bad value");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`jitterMillis`=\"soon\""));
        }
    }

    @Test
    public void aProviderPointedAtAClosedImdsPortFailsWithAKindAndTheEndpointAndLogsAWarning()
            throws IOException {
        int port = closedPort();
        Logger logger = Logger.getLogger("dev.freshcreds");
        LogCapture handler = new LogCapture();
        logger.addHandler(handler);
        try (FreshCredentialsSource source = FreshCredentialsSource.create(isolated()
                .source("imds")
                .imdsEndpoint("http://127.0.0.1:" + port)
                .imdsAttempts(1)
                .imdsTimeout(Duration.ofMillis(500))
                .firstFetchTimeout(Duration.ofSeconds(5))
                .build())) {
            try {
                source.credentials();
                fail("got credentials from a closed port");
            } catch (FreshCredentialsException e) {
                assertTrue(e.getKind().toString(), e.getKind() == FreshCredentialsException.Kind.CONNECT
                        || e.getKind() == FreshCredentialsException.Kind.NOT_CONFIGURED);
                assertTrue(e.getMessage(), e.getMessage().contains("127.0.0.1:" + port));
            }
            // The refresh engine's warning reaches java.util.logging (no SLF4J binding here).
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            LogRecord warning = null;
            while (warning == null && System.nanoTime() < deadline) {
                for (LogRecord r : handler.records()) {
                    if (r.getLevel() == Level.WARNING && r.getLoggerName().startsWith("dev.freshcreds.")) {
                        warning = r;
                    }
                }
                Thread.yield();
            }
            assertNotNull("no WARNING from the native side in " + handler.records(), warning);
            assertTrue(warning.getMessage(), warning.getMessage().contains("127.0.0.1:" + port));
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    public void credentialsComeFromTheNativeSideAndAreServedFromMemoryUntilTheDeadline() {
        try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys(true))) {
            FreshCredentials c = source.credentials();
            assertEquals("ASIAPROPS", c.getAccessKeyId());
            assertEquals(SECRET, c.getSecretAccessKey());
            assertEquals(TOKEN, c.getSessionToken());
            assertNull(c.getExpiration());
            assertFalse(c.isStale());
            assertTrue(c.getSource(), c.getSource().length() > 0);
            assertEquals(1, source.nativeCalls());
            // Long-term keys may be served for a minute without asking the native side again:
            // the same object comes back and no call crosses JNI.
            for (int i = 0; i < 10000; i++) {
                assertSame(c, source.credentials());
            }
            assertEquals(1, source.nativeCalls());
            // A forced refresh asks the native side; unchanged credentials keep their object.
            assertSame(c, source.refresh());
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void statusIsJsonWithoutSecrets() {
        try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys(true))) {
            source.credentials();
            String status = source.status();
            assertTrue(status, status.startsWith("{") && status.contains("\"status\""));
            assertFalse(status, status.contains(SECRET));
            assertFalse(status, status.contains(TOKEN));
        }
    }

    @Test
    public void closeReleasesTheNativeSideAndLaterCallsAreIllegalStateButCloseTwiceIsFine() {
        FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys(false));
        source.credentials();
        source.close();
        assertTrue(source.isClosed());
        source.close();
        try {
            source.credentials();
            fail("credentials after close");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("closed"));
        }
        try {
            source.refresh();
            fail("refresh after close");
        } catch (IllegalStateException expected) {
            // expected
        }
        try {
            source.status();
            fail("status after close");
        } catch (IllegalStateException expected) {
            // expected
        }
    }

    @Test
    public void aClosedHandleGivenToTheNativeSideIsAnIllegalStateException() {
        NativeLoader.load();
        try {
            Native.credentials(0, new long[NativeLayout.NUMBERS]);
            fail("accepted handle 0");
        } catch (IllegalStateException expected) {
            // expected
        }
        Native.close(0);
    }

    @Test
    public void toStringsOfSourceAndProvidersShowNoSecret() {
        try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys(true));
                FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder()
                        .options(staticKeys(true)).build();
                FreshCredentialsProvider v1 = new FreshCredentialsProvider(staticKeys(true))) {
            source.credentials();
            v2.resolveCredentials();
            v1.getCredentials();
            for (Object o : new Object[] {source, source.credentials(), v1, v2, source.options()}) {
                String text = o.toString();
                assertFalse(text, text.contains(SECRET));
                assertFalse(text, text.contains(TOKEN));
            }
            assertTrue(source.toString(), source.toString().contains("ASIAPROPS"));
        }
    }

    @Test
    public void sdkV1ProviderGivesSessionCredentialsForTokensAndBasicOnesForKeys() {
        try (FreshCredentialsProvider withToken = new FreshCredentialsProvider(staticKeys(true));
                FreshCredentialsProvider keysOnly = new FreshCredentialsProvider(staticKeys(false))) {
            AWSCredentials c = withToken.getCredentials();
            assertTrue(c instanceof AWSSessionCredentials);
            assertEquals("ASIAPROPS", c.getAWSAccessKeyId());
            assertEquals(SECRET, c.getAWSSecretKey());
            assertEquals(TOKEN, ((AWSSessionCredentials) c).getSessionToken());
            assertSame("converted once, then served from memory", c, withToken.getCredentials());
            withToken.refresh();
            AWSCredentials k = keysOnly.getCredentials();
            assertTrue(k instanceof BasicAWSCredentials);
            assertEquals("AKIAPROPS", k.getAWSAccessKeyId());
        }
    }

    @Test
    public void sdkV2ProviderGivesSessionCredentialsForTokensAndBasicOnesForKeys() {
        try (FreshAwsCredentialsProvider withToken = FreshAwsCredentialsProvider.builder()
                        .options(staticKeys(true)).build();
                FreshAwsCredentialsProvider keysOnly = FreshAwsCredentialsProvider.builder()
                        .options(staticKeys(false)).build()) {
            AwsCredentials c = withToken.resolveCredentials();
            assertTrue(c instanceof AwsSessionCredentials);
            assertEquals("ASIAPROPS", c.accessKeyId());
            assertEquals(SECRET, c.secretAccessKey());
            assertEquals(TOKEN, ((AwsSessionCredentials) c).sessionToken());
            assertSame("converted once, then served from memory", c, withToken.resolveCredentials());
            AwsCredentials k = keysOnly.resolveCredentials();
            assertTrue(k instanceof AwsBasicCredentials);
            assertEquals("AKIAPROPS", k.accessKeyId());
            try (FreshAwsCredentialsProvider copy = withToken.toBuilder().build()) {
                assertEquals(withToken.source().options().asMap(), copy.source().options().asMap());
                assertEquals("ASIAPROPS", copy.resolveCredentials().accessKeyId());
            }
        }
    }
}
