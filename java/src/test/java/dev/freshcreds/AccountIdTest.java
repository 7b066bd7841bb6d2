package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.Test;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * SDK v2 credentials carry the account id when a source knows it (SDK v2 uses it for
 * account-based endpoints): a profile's {@code aws_account_id}, the account of an assumed role's
 * ARN; credentials whose source does not know it carry none.
 */
public class AccountIdTest {
    private static FreshCredentialsOptions profile(Path dir, String name) throws Exception {
        Path credentials = dir.resolve("credentials");
        Files.write(credentials, ("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = secret-dev\n"
                + "aws_account_id = 111122223333\n"
                + "[plain]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = secret-plain\n")
                .getBytes(StandardCharsets.UTF_8));
        Properties p = new Properties();
        p.setProperty("aws.profile", name);
        p.setProperty("aws.sharedCredentialsFile", credentials.toString());
        p.setProperty("aws.configFile", dir.resolve("no-config").toString());
        return FreshCredentialsOptions.builder().source("profile").build(p);
    }

    @Test
    public void sdkV2CredentialsCarryTheProfilesAccountId() throws Exception {
        Path dir = Files.createTempDirectory("freshcreds-account-id");
        try (FreshAwsCredentialsProvider dev = FreshAwsCredentialsProvider.builder()
                        .options(profile(dir, "dev")).build();
                FreshAwsCredentialsProvider plain = FreshAwsCredentialsProvider.builder()
                        .options(profile(dir, "plain")).build()) {
            AwsCredentials c = dev.resolveCredentials();
            assertEquals("AKIADEV", c.accessKeyId());
            assertEquals("111122223333", c.accountId().get());
            assertEquals("111122223333", dev.source().credentials().getAccountId());
            assertFalse(plain.resolveCredentials().accountId().isPresent());
            assertNull(plain.source().credentials().getAccountId());
        } finally {
            Files.deleteIfExists(dir.resolve("credentials"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    public void anAssumedRolesCredentialsCarryTheAccountOfItsArn() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider role = FreshAwsCredentialsProvider.builder()
                        .options(FreshCredentialsOptions.builder()
                                .readSystemProperties(false)
                                .source("imds")
                                .imdsEndpoint(sim.baseUrl())
                                .assumeRole("arn:aws:iam::444455556666:role/app", "account")
                                .stsEndpoint(sim.baseUrl())
                                .build())
                        .build()) {
            assertEquals("444455556666", role.resolveCredentials().accountId().get());
        }
    }
}
