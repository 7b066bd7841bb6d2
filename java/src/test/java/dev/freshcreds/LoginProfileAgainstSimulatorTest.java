package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/**
 * An {@code aws login} profile in a JVM, through the SDK v2 adapter: the cached credentials have
 * expired, so the native side refreshes the session through the simulator's AWS Sign-In (which
 * verifies the DPoP proof against the key the refresh token is bound to) and writes the cache
 * back; then a real SDK v2 STS client signs with the refreshed credentials and the simulator
 * verifies the SigV4 signature. The child JVM gets the profile files through its environment.
 */
public class LoginProfileAgainstSimulatorTest {
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class LoginProbe {",
            "  public static void main(String[] args) throws Exception {",
            "    try (dev.freshcreds.sdkv2.FreshAwsCredentialsProvider p = dev.freshcreds.sdkv2.FreshAwsCredentialsProvider.create()) {",
            "      software.amazon.awssdk.services.sts.StsClient sts = software.amazon.awssdk.services.sts.StsClient.builder()",
            "          .endpointOverride(URI.create(args[0])).region(software.amazon.awssdk.regions.Region.US_EAST_2)",
            "          .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())",
            "          .credentialsProvider(p).build();",
            "      System.out.println(\"key \" + p.resolveCredentials().accessKeyId());",
            "      System.out.println(\"arn \" + sts.getCallerIdentity().arn());",
            "    }",
            "  }",
            "}");

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        assertTrue(name + " in " + json.length() + " characters of JSON", m.find());
        return m.group(1);
    }

    private static String sha256Hex(String s) throws Exception {
        StringBuilder out = new StringBuilder();
        for (byte b : MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8))) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    @Test
    public void anExpiredAwsLoginProfileIsRefreshedThroughSignInAndSignsARealSdkV2Call() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            // {"loginSession": …, "keyThumbprint": …, "cache": {the document the AWS CLI writes}}
            String session = sim.admin("POST", "/_sim/login/sessions");
            String arn = field(session, "loginSession");
            String cache = session.substring(session.indexOf("\"cache\":") + "\"cache\":".length(), session.lastIndexOf('}'));
            String cachedKey = field(cache, "accessKeyId");
            cache = cache.replaceFirst("\"expiresAt\":\"[^\"]*\"", "\"expiresAt\":\"2020-01-01T00:00:00Z\"");

            Path home = Files.createTempDirectory("freshcreds-login-test");
            Path aws = Files.createDirectory(home.resolve(".aws"));
            Path cacheDir = Files.createDirectories(aws.resolve("login").resolve("cache"));
            Path config = aws.resolve("config");
            Files.write(config, ("[profile dev]\nlogin_session = " + arn + "\nregion = us-east-2\n")
                    .getBytes(StandardCharsets.UTF_8));
            Path cacheFile = cacheDir.resolve(sha256Hex(arn) + ".json");
            Files.write(cacheFile, cache.getBytes(StandardCharsets.UTF_8));
            Path probe = home.resolve("LoginProbe.java");
            Files.write(probe, PROBE.getBytes(StandardCharsets.UTF_8));

            List<String> command = new ArrayList<String>();
            command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            command.add("-Djava.io.tmpdir=" + Files.createDirectory(home.resolve("tmp")));
            command.add("-cp");
            command.add(GlobalHooksTest.classpath());
            command.add(probe.toString());
            command.add(sim.baseUrl() + "/");
            Path out = home.resolve("out.txt");
            Path err = home.resolve("err.txt");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            Map<String, String> env = pb.environment();
            for (String name : new String[] {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_LOGIN_CACHE_DIRECTORY", "FRESHCREDS_GLOBAL"}) {
                env.remove(name);
            }
            env.put("HOME", home.toString());
            env.put("AWS_CONFIG_FILE", config.toString());
            env.put("AWS_SHARED_CREDENTIALS_FILE", aws.resolve("credentials").toString());
            env.put("AWS_PROFILE", "dev");
            env.put("AWS_ENDPOINT_URL_SIGNIN", sim.baseUrl());
            env.put("AWS_EC2_METADATA_DISABLED", "true");
            Process p = pb.start();
            assertTrue("the child JVM did not finish", p.waitFor(120, TimeUnit.SECONDS));
            String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
            String stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
            assertEquals("stdout: " + stdout + "\nstderr: " + stderr, 0, p.exitValue());

            assertTrue(stdout, stdout.contains("arn " + arn + "\n"));
            assertFalse("the expired cached key was refreshed: " + stdout, stdout.contains("key " + cachedKey));
            assertEquals("one accepted CreateOAuth2Token", 1, sim.count("signin_ok"));
            assertEquals("no proof refused", 0, sim.count("signin_rejected"));
            assertEquals(1, sim.count("sts_ok"));
            String written = new String(Files.readAllBytes(cacheFile), StandardCharsets.UTF_8);
            String servedKey = stdout.substring(stdout.indexOf("key ") + 4, stdout.indexOf('\n', stdout.indexOf("key ")));
            assertEquals("the refreshed key is written back", servedKey, field(written, "accessKeyId"));
            assertEquals("the key stays", field(cache, "dpopKey"), field(written, "dpopKey"));
        }
    }
}
