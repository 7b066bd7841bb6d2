package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/**
 * Rejections through the Java agent and the global hooks, in separate JVMs running the product
 * jar: after a revocation, an SDK v2 default client's call that got {@code ExpiredToken}
 * succeeds (exactly one retry, on the simulator) while an explicitly configured client is left
 * alone; an SDK v1 client in mode {@code all} gets the rejected key replaced for its next call
 * (SDK v1 lets a request handler invalidate but not retry).
 */
public class GlobalRejectionTest {
    /** The probe: prints "<label> ok <arn>" or "<label> failed <error code>" per call. */
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class Probe {",
            "  public static void main(String[] args) throws Exception {",
            "    String sts = args[0];",
            "    if (args[1].equals(\"v2\")) {",
            "      software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()",
            "          .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "          .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();",
            "      software.amazon.awssdk.services.sts.StsClient explicit = software.amazon.awssdk.services.sts.StsClient.builder()",
            "          .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "          .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())",
            "          .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(",
            "              software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(\"AKIDSIMSTATIC\",",
            "                  \"freshcreds-sim/static/secret/key/for/tests\"))).build();",
            "      System.out.println(\"v2 before \" + v2call(v2));",
            "      System.out.println(\"explicit before \" + v2call(explicit));",
            "      post(sts + \"_sim/revoke\");",
            "      post(sts + \"_sim/revoke?access_key_id=AKIDSIMSTATIC\");",
            "      System.out.println(\"v2 after \" + v2call(v2));",
            "      System.out.println(\"explicit after \" + v2call(explicit));",
            "    } else {",
            "      com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 = com.amazonaws.services.securitytoken",
            "          .AWSSecurityTokenServiceClientBuilder.standard()",
            "          .withEndpointConfiguration(new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, \"us-east-1\"))",
            "          .build();",
            "      System.out.println(\"v1 before \" + v1call(v1));",
            "      post(sts + \"_sim/revoke\");",
            "      System.out.println(\"v1 after \" + v1call(v1));",
            "      System.out.println(\"v1 next \" + v1call(v1));",
            "    }",
            "  }",
            "  static void post(String url) throws Exception {",
            "    java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(url).openConnection();",
            "    c.setRequestMethod(\"POST\");",
            "    if (c.getResponseCode() != 200) throw new IllegalStateException(url + \": \" + c.getResponseCode());",
            "  }",
            "  static String v2call(software.amazon.awssdk.services.sts.StsClient c) {",
            "    try {",
            "      return \"ok \" + c.getCallerIdentity().arn();",
            "    } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {",
            "      return \"failed \" + e.awsErrorDetails().errorCode();",
            "    }",
            "  }",
            "  static String v1call(com.amazonaws.services.securitytoken.AWSSecurityTokenService c) {",
            "    try {",
            "      return \"ok \" + c.getCallerIdentity(new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn();",
            "    } catch (com.amazonaws.AmazonServiceException e) {",
            "      return \"failed \" + e.getErrorCode();",
            "    }",
            "  }",
            "}");

    private static String jar() {
        return System.getProperty("freshcreds.test.jar");
    }

    @Test
    public void withTheJavaAgentASdkV2DefaultCallThatGotExpiredTokenSucceedsAndAnExplicitClientIsLeftAlone() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalHooksTest.run(sim, PROBE, Arrays.asList("-javaagent:" + jar()), "v2");
            assertTrue(out, out.contains("v2 before ok "));
            assertTrue(out, out.contains("explicit before ok "));
            assertTrue(out, out.contains("v2 after ok "));
            assertTrue(out, out.contains("explicit after failed ExpiredToken"));
            // Two rejections (the default client's first attempt, the explicit client's call);
            // one retry, of the default client's call only.
            assertEquals(sim.counts(), 2, sim.count("sts_revoked"));
            assertEquals(sim.counts(), 5, sim.count("sts"));
        }
    }

    @Test
    public void withTheGlobalHookInModeAllASdkV1RejectionIsReplacedForTheNextCall() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalHooksTest.run(sim, PROBE, Arrays.asList("-Dfreshcreds.global=all"), "v1");
            assertTrue(out, out.contains("v1 before ok "));
            // SDK v1's retry policy belongs to the client: the global hook invalidates only.
            assertTrue(out, out.contains("v1 after failed ExpiredToken"));
            assertTrue(out, out.contains("v1 next ok "));
            assertEquals(sim.counts(), 1, sim.count("sts_revoked"));
            assertEquals(sim.counts(), 3, sim.count("sts"));
        }
    }

    @Test
    public void withTheGlobalHookInTheDefaultModeASdkV1DefaultClientsRejectionIsReplacedForTheNextCall() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalHooksTest.run(sim, PROBE, Arrays.asList("-Dfreshcreds.global=true"), "v1");
            // The default client's credentials come from the shared default chain, led by freshcreds.
            assertTrue(out, out.contains("v1 before ok "));
            assertTrue(out, out.contains("v1 after failed ExpiredToken"));
            assertTrue(out, out.contains("v1 next ok "));
            assertEquals(sim.counts(), 1, sim.count("sts_revoked"));
        }
    }
}
