package dev.freshcreds.sdkv2.rds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;

import org.junit.Test;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.InsufficientValidityException;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.regions.Region;

/**
 * IAM database tokens are minted only from credentials valid for the token's 15 minutes: over a
 * role session of 15 minutes (assumed through the simulator) no token is minted; over one of an
 * hour, tokens are signed with it, and the source is not asked again for each token.
 */
public class FreshRdsAuthTokensTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/db-app";
    private static final String HOST = "db.cluster-abc.us-east-1.rds.amazonaws.com";

    private static FreshAwsCredentialsProvider role(SimulatorProcess sim, Duration session) {
        return FreshAwsCredentialsProvider.builder().options(FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("imds")
                .imdsEndpoint(sim.baseUrl())
                .assumeRole(ROLE, "db")
                .duration(session)
                .stsEndpoint(sim.baseUrl())
                .build()).build();
    }

    @Test
    public void aFifteenMinuteSessionMintsNoTokenThatWouldDieEarly() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider provider = role(sim, Duration.ofMinutes(15))) {
            FreshRdsAuthTokens tokens = FreshRdsAuthTokens.create(provider, Region.US_EAST_1, HOST, 5432, "app");
            try {
                String token = tokens.get();
                fail("a token signed with credentials that expire within its 15 minutes: " + token.length());
            } catch (InsufficientValidityException e) {
                assertEquals(FreshRdsAuthTokens.TOKEN_LIFETIME, e.getRequestedValidity());
                assertTrue(e.getMessage(), e.getMessage().contains("at most 15 min"));
            }
        }
    }

    @Test
    public void anHourLongSessionSignsEachTokenWithoutAskingStsAgain() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider provider = role(sim, Duration.ofHours(1))) {
            FreshRdsAuthTokens tokens = FreshRdsAuthTokens.create(provider, Region.US_EAST_1, HOST, 5432, "app");
            String first = tokens.get();
            for (int i = 0; i < 10; i++) {
                tokens.get();
            }
            FreshCredentials c = provider.source().credentials();
            assertTrue(first, first.startsWith(HOST + ":5432/?"));
            assertTrue(first, first.contains("Action=connect") && first.contains("DBUser=app"));
            assertTrue(first, first.contains("X-Amz-Expires=900"));
            assertTrue(first, first.contains("X-Amz-Credential=" + c.getAccessKeyId() + "%2F"));
            assertTrue(first, first.contains("X-Amz-Security-Token="));
            assertEquals(sim.counts(), 1, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
            assertTrue(tokens.toString(), !tokens.toString().contains(c.getSecretAccessKey()));
        }
    }
}
