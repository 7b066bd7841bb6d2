package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;

import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.utils.SystemSetting;

/**
 * The AWS SDK for Java v2 system properties an operator sets for the default chain reach the
 * native library and are honoured there (the properties are given to {@code build(Properties)},
 * so no test changes the JVM's own).
 */
public class SdkSystemPropertiesTest {
    /**
     * SDK v2 system settings that configure the SDK's service clients, not where credentials come
     * from: freshcreds does not pass them. Any other setting of a newer SDK fails
     * {@link #everySdkV2SettingOfTheCredentialsChainIsPassedToTheNativeLibrary} until it is
     * decided (honoured or refused in rust/core/src/sdk_settings.rs).
     */
    private static final Set<String> CLIENT_SETTINGS = new HashSet<String>(Arrays.asList(
            "software.amazon.awssdk.http.service.impl",
            "software.amazon.awssdk.http.async.service.impl",
            "aws.cborEnabled",
            "aws.binaryIonEnabled",
            "aws.executionEnvironment",
            "aws.endpointDiscoveryEnabled",
            "aws.s3UseUsEast1RegionalEndpoint",
            "aws.disableS3ExpressAuth",
            "aws.retryMode",
            "aws.maxAttempts",
            "aws.defaultsMode",
            "aws.accountIdEndpointMode",
            "aws.disableRequestCompression",
            "aws.requestMinCompressionSizeBytes",
            "aws.partitionsFile",
            "aws.requestChecksumCalculation",
            "aws.responseChecksumValidation",
            "sdk.ua.appId",
            "aws.sigv4a.signing.region.set",
            "aws.authSchemePreference"));

    @Test
    public void disableEc2MetadataSystemPropertyMeansNoConnectionToImdsAtAll() throws Exception {
        final AtomicInteger connections = new AtomicInteger();
        try (final ServerSocket imds = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(new Runnable() {
                @Override
                public void run() {
                    while (!imds.isClosed()) {
                        try (Socket s = imds.accept()) {
                            connections.incrementAndGet();
                        } catch (IOException closed) {
                            return;
                        }
                    }
                }
            }, "test-imds-listener");
            acceptor.setDaemon(true);
            acceptor.start();

            Properties p = new Properties();
            p.setProperty("aws.disableEc2Metadata", "true");
            FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                    .source("imds")
                    .imdsEndpoint("http://127.0.0.1:" + imds.getLocalPort())
                    .firstFetchTimeout(Duration.ofSeconds(3))
                    .build(p);
            try (FreshCredentialsSource source = FreshCredentialsSource.create(options)) {
                try {
                    source.credentials();
                    fail("credentials from IMDS although aws.disableEc2Metadata=true");
                } catch (FreshCredentialsException e) {
                    assertEquals(e.getMessage(), FreshCredentialsException.Kind.DISABLED, e.getKind());
                    assertTrue(e.getMessage(), e.getMessage().contains(
                            "disabled by Java system property aws.disableEc2Metadata=true"));
                }
            }
        }
        assertEquals("connections to the IMDS endpoint", 0, connections.get());
    }

    @Test
    public void awsProfileSystemPropertySelectsThatProfileFromTheFilesTheSystemPropertiesName()
            throws Exception {
        Path dir = Files.createTempDirectory("freshcreds-sdk-props");
        try {
            Path credentials = dir.resolve("credentials");
            Files.write(credentials, ("[default]\naws_access_key_id = AKIADEFAULT\n"
                    + "aws_secret_access_key = secret-default\n"
                    + "[readonly]\naws_access_key_id = AKIAREADONLY\n"
                    + "aws_secret_access_key = secret-readonly\n").getBytes(StandardCharsets.UTF_8));
            Properties p = new Properties();
            p.setProperty("aws.profile", "readonly");
            p.setProperty("aws.sharedCredentialsFile", credentials.toString());
            p.setProperty("aws.configFile", dir.resolve("no-config").toString());
            FreshCredentialsOptions options = FreshCredentialsOptions.builder().source("profile").build(p);
            try (FreshCredentialsSource source = FreshCredentialsSource.create(options)) {
                assertEquals("AKIAREADONLY", source.credentials().getAccessKeyId());
            }
        } finally {
            Files.deleteIfExists(dir.resolve("credentials"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    public void everySdkV2SettingOfTheCredentialsChainIsPassedToTheNativeLibrary() {
        List<SystemSetting> settings = new ArrayList<SystemSetting>();
        settings.addAll(Arrays.asList(SdkSystemSetting.values()));
        settings.addAll(Arrays.asList(ProfileFileSystemSetting.values()));
        List<String> missing = new ArrayList<String>();
        for (SystemSetting s : settings) {
            if (!CLIENT_SETTINGS.contains(s.property())
                    && !FreshCredentialsOptions.AWS_PROPERTIES.contains(s.property())) {
                missing.add(s.property() + " (" + s.environmentVariable() + ")");
            }
        }
        assertEquals("SDK v2 settings freshcreds neither passes nor lists as client-only",
                new ArrayList<String>(), missing);
    }

    @Test
    public void everySdkSystemPropertyIsPassedAndTheContainerTokenIsHiddenByToString() {
        Properties p = new Properties();
        for (String key : FreshCredentialsOptions.AWS_PROPERTIES) {
            p.setProperty(key, "value-of-" + key);
        }
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().build(p);
        for (String key : FreshCredentialsOptions.AWS_PROPERTIES) {
            assertEquals(key, "value-of-" + key, o.asMap().get(key));
        }
        String shown = o.toString();
        assertTrue(shown, shown.contains("value-of-aws.profile"));
        assertTrue(shown, shown.contains("aws.containerAuthorizationToken=** redacted **"));
        assertFalse(shown, shown.contains("value-of-aws.containerAuthorizationToken,"));
        assertTrue(FreshCredentialsOptions.builder().readSystemProperties(false).build(p).asMap().isEmpty());
    }
}
