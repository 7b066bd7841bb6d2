package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/**
 * An IAM Identity Center profile through the SDK v2 adapter, in a child JVM whose environment
 * points {@code HOME} at a temporary home (profile and token cache) and the SSO portal and OIDC
 * endpoints at the simulator: the access token is inside its refresh window, so freshcreds
 * refreshes it with {@code CreateToken} and writes the cache back, gets role credentials from the
 * portal, and a real SDK v2 STS client signs {@code GetCallerIdentity} with them, which the
 * simulator verifies.
 */
public class SsoAgainstSimulatorTest {
    private static final String START_URL = "https://d-sim.awsapps.com/start";
    private static final String SESSION = "corp";
    /** Ten minutes left: inside the 15-minute refresh window. */
    private static final int TOKEN_SECONDS = 600;

    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class Probe {",
            "  public static void main(String[] args) throws Exception {",
            "    dev.freshcreds.FreshCredentialsOptions options = dev.freshcreds.FreshCredentialsOptions.builder()",
            "        .readSystemProperties(false).profile(\"dev\").build();",
            "    try (dev.freshcreds.sdkv2.FreshAwsCredentialsProvider p =",
            "        dev.freshcreds.sdkv2.FreshAwsCredentialsProvider.builder().options(options).build()) {",
            "      software.amazon.awssdk.services.sts.StsClient sts = software.amazon.awssdk.services.sts.StsClient.builder()",
            "          .endpointOverride(URI.create(args[0])).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "          .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())",
            "          .credentialsProvider(p).build();",
            "      System.out.println(\"ok \" + sts.getCallerIdentity().arn());",
            "      System.out.println(\"source \" + p.source().credentials().getSource());",
            "      sts.close();",
            "    }",
            "  }",
            "}");

    private static String classpath() {
        Set<String> entries = new LinkedHashSet<String>();
        String jar = System.getProperty("freshcreds.test.jar");
        assertNotNull("-Dfreshcreds.test.jar is not set (the Gradle build sets it)", jar);
        entries.add(jar);
        String cp = System.getProperty("freshcreds.test.v2.classpath");
        assertNotNull("-Dfreshcreds.test.v2.classpath is not set (the Gradle build sets it)", cp);
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isEmpty() && !e.contains("junit") && !e.contains("hamcrest")) {
                entries.add(e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String sha1Hex(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        StringBuilder sb = new StringBuilder();
        for (byte b : digest) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(name + " missing from the token cache", m.find());
        return m.group(1);
    }

    @Test
    public void anSsoSessionProfileResolvesThroughTheV2ProviderWithATokenRefreshAndSignsAVerifiedStsCall()
            throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            Path home = Files.createTempDirectory("freshcreds-sso-test");
            Path aws = Files.createDirectories(home.resolve(".aws"));
            Path cacheDir = Files.createDirectories(aws.resolve("sso").resolve("cache"));
            Files.write(aws.resolve("config"), String.join("\n",
                    "[profile dev]",
                    "sso_session = " + SESSION,
                    "sso_account_id = 123456789012",
                    "sso_role_name = Dev",
                    "region = us-east-1",
                    "",
                    "[sso-session " + SESSION + "]",
                    "sso_start_url = " + START_URL,
                    "sso_region = us-east-1",
                    "").getBytes(StandardCharsets.UTF_8));
            String login = sim.admin("POST", "/_sim/sso/login?seconds=" + TOKEN_SECONDS);
            String oldToken = field(login, "accessToken");
            String cache = "{\"startUrl\":\"" + START_URL + "\",\"region\":\"us-east-1\","
                    + "\"keptField\":\"kept\"," + login.trim().substring(1);
            Path cacheFile = cacheDir.resolve(sha1Hex(SESSION) + ".json");
            Files.write(cacheFile, cache.getBytes(StandardCharsets.UTF_8));

            Path probe = home.resolve("Probe.java");
            Files.write(probe, PROBE.getBytes(StandardCharsets.UTF_8));
            List<String> command = new ArrayList<String>();
            command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            command.add("-Djava.io.tmpdir=" + Files.createDirectory(home.resolve("tmp")));
            command.add("-cp");
            command.add(classpath());
            command.add(probe.toString());
            command.add(sim.baseUrl() + "/");
            Path out = home.resolve("out.txt");
            Path err = home.resolve("err.txt");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            for (String name : new String[] {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                    "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    dev.freshcreds.internal.Global.ENV}) {
                pb.environment().remove(name);
            }
            pb.environment().put("HOME", home.toString());
            pb.environment().put("AWS_ENDPOINT_URL_SSO", sim.baseUrl());
            pb.environment().put("AWS_ENDPOINT_URL_SSO_OIDC", sim.baseUrl());
            pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
            Process p = pb.start();
            assertTrue("the child JVM did not finish", p.waitFor(120, TimeUnit.SECONDS));
            String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            String stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
            assertEquals("stdout: " + stdout + "\nstderr: " + stderr, 0, p.exitValue());

            assertTrue(stdout, stdout.contains("ok arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_sim/sso-user"));
            assertTrue(stdout, stdout.contains("source Profile(dev)/Sso"));
            String counts = sim.admin("GET", "/_sim/sso/counts");
            assertEquals(counts, 1, SimulatorProcess.count(counts, "create_token"));
            assertEquals(counts, 1, SimulatorProcess.count(counts, "get_role_credentials"));
            String written = new String(Files.readAllBytes(cacheFile), StandardCharsets.UTF_8);
            assertFalse("the refreshed token was written back", field(written, "accessToken").equals(oldToken));
            assertEquals("kept", field(written, "keptField"));
            assertEquals(START_URL, field(written, "startUrl"));
            assertFalse("no token in the child's output", (stdout + stderr).contains(oldToken));
        }
    }
}
