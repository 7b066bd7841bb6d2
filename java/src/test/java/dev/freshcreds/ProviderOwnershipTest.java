package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;

/**
 * A provider closes only the source it created. An SDK v2 client closes the provider it was given
 * when the client is closed, so providers over one shared source must leave it open.
 */
public class ProviderOwnershipTest {
    @Test
    public void closingAProviderBuiltOverASourceLeavesTheSourceServingItsOtherProviders() {
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true))) {
            FreshAwsCredentialsProvider first = FreshAwsCredentialsProvider.builder().source(source).build();
            FreshAwsCredentialsProvider second = FreshAwsCredentialsProvider.builder().source(source).build();
            first.close();
            assertFalse(source.isClosed());
            assertEquals("ASIAPROPS", second.resolveCredentials().accessKeyId());
            assertEquals("ASIAPROPS", first.resolveCredentials().accessKeyId());
        }
    }

    @Test
    public void closingAProviderThatCreatedItsSourceClosesIt() {
        FreshAwsCredentialsProvider provider =
                FreshAwsCredentialsProvider.builder().options(FreshCredentialsSourceTest.staticKeys(true)).build();
        assertEquals("ASIAPROPS", provider.resolveCredentials().accessKeyId());
        provider.close();
        assertTrue(provider.source().isClosed());
    }
}
