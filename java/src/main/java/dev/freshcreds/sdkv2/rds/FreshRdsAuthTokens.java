package dev.freshcreds.sdkv2.rds;

import java.time.Duration;
import java.util.function.Supplier;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.InsufficientValidityException;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsUtilities;
import software.amazon.awssdk.services.rds.model.GenerateAuthenticationTokenRequest;

/**
 * RDS and Aurora IAM database authentication tokens, as a password supplier for connection
 * pools, minted only from credentials valid for the token's whole life: a token is accepted for
 * {@link #TOKEN_LIFETIME} after it is generated, but only while the credentials that signed it
 * are valid, and SDK v2's {@code RdsUtilities.generateAuthenticationToken} signs with whatever
 * credentials it is given, however soon they expire.
 *
 * <p>Optional: needs {@code software.amazon.awssdk:rds} on the classpath (the freshcreds jar
 * does not bring it, and nothing else in freshcreds loads this class).
 *
 * <pre>{@code
 * FreshRdsAuthTokens tokens = FreshRdsAuthTokens.create(provider, Region.EU_WEST_1,
 *     "db.cluster-abc.eu-west-1.rds.amazonaws.com", 5432, "app");
 * Connection c = DriverManager.getConnection(url, "app", tokens.get());  // a new token per connection
 * }</pre>
 */
public final class FreshRdsAuthTokens implements Supplier<String> {
    /** How long RDS accepts an authentication token after it is generated (15 minutes). */
    public static final Duration TOKEN_LIFETIME = Duration.ofMinutes(15);

    private final FreshCredentialsSource source;
    private final Region region;
    private final String hostname;
    private final int port;
    private final String username;

    private FreshRdsAuthTokens(FreshCredentialsSource source, Region region, String hostname, int port,
            String username) {
        this.source = source;
        this.region = region;
        this.hostname = hostname;
        this.port = port;
        this.username = username;
    }

    /**
     * A token supplier for one database user.
     *
     * @param provider where the credentials come from
     * @param region the database's region
     * @param hostname the database's endpoint host name
     * @param port the database's port
     * @param username the database user
     * @return a new supplier
     */
    public static FreshRdsAuthTokens create(FreshAwsCredentialsProvider provider, Region region, String hostname,
            int port, String username) {
        if (provider == null || region == null || hostname == null || username == null) {
            throw new NullPointerException("provider, region, hostname and username are required");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not a TCP port");
        }
        return new FreshRdsAuthTokens(provider.source(), region, hostname, port, username);
    }

    /**
     * A new token, signed with credentials valid for at least {@link #TOKEN_LIFETIME}.
     *
     * @return the token (the password for this connection)
     * @throws InsufficientValidityException when no credentials last that long (a role session
     *     of 15 minutes or less); it says the longest validity available and when more may be
     */
    @Override
    public String get() {
        FreshCredentials f = source.credentials(TOKEN_LIFETIME);
        RdsUtilities rds = RdsUtilities.builder()
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(toSdk(f)))
                .build();
        return rds.generateAuthenticationToken(GenerateAuthenticationTokenRequest.builder()
                .hostname(hostname).port(port).username(username).build());
    }

    private static AwsCredentials toSdk(FreshCredentials f) {
        return f.getSessionToken() == null
                ? AwsBasicCredentials.create(f.getAccessKeyId(), f.getSecretAccessKey())
                : AwsSessionCredentials.create(f.getAccessKeyId(), f.getSecretAccessKey(), f.getSessionToken());
    }

    @Override
    public String toString() {
        return "FreshRdsAuthTokens{" + username + "@" + hostname + ":" + port + ", " + region + "}";
    }
}
