package dev.freshcreds.bench;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;

/** The four providers under test, each reading the simulator's IMDS; each returns an access key id. */
final class Providers {
    /** Provider names, as used in {@code @Param}. */
    static final String FRESH_V1 = "freshcreds-v1";
    static final String FRESH_V2 = "freshcreds-v2";
    static final String SDK_V1 = "sdk-v1";
    static final String SDK_V2 = "sdk-v2";

    /** A provider's cached read, and how to close it. */
    interface Handle extends Supplier<Object>, Closeable {
    }

    private Providers() {
    }

    static Handle create(String name, String imdsEndpoint, int refreshLeadSecs) {
        switch (name) {
            case FRESH_V1: {
                FreshCredentialsProvider p = new FreshCredentialsProvider(options(imdsEndpoint, refreshLeadSecs));
                return handle(p::getCredentials, p);
            }
            case FRESH_V2: {
                FreshAwsCredentialsProvider p = FreshAwsCredentialsProvider.builder()
                        .options(options(imdsEndpoint, refreshLeadSecs)).build();
                return handle(p::resolveCredentials, p);
            }
            case SDK_V1: {
                System.setProperty("com.amazonaws.sdk.ec2MetadataServiceEndpointOverride", imdsEndpoint);
                // What the v1 default chain uses (InstanceProfileCredentialsProvider.getInstance()).
                com.amazonaws.auth.InstanceProfileCredentialsProvider p =
                        new com.amazonaws.auth.InstanceProfileCredentialsProvider(false);
                return handle(p::getCredentials, p);
            }
            case SDK_V2: {
                System.setProperty("aws.ec2MetadataServiceEndpoint", imdsEndpoint);
                InstanceProfileCredentialsProvider p = InstanceProfileCredentialsProvider.builder().build();
                return handle(p::resolveCredentials, p::close);
            }
            default:
                throw new IllegalArgumentException("unknown provider " + name);
        }
    }

    private static FreshCredentialsOptions options(String imdsEndpoint, int refreshLeadSecs) {
        FreshCredentialsOptions.Builder b = FreshCredentialsOptions.builder().source("imds").imdsEndpoint(imdsEndpoint);
        if (refreshLeadSecs > 0) {
            b.refreshLead(Duration.ofSeconds(refreshLeadSecs));
        }
        return b.build();
    }

    private static Handle handle(final Supplier<?> get, final AutoCloseable close) {
        return new Handle() {
            @Override
            public Object get() {
                return get.get();
            }

            @Override
            public void close() throws IOException {
                try {
                    close.close();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        };
    }
}
