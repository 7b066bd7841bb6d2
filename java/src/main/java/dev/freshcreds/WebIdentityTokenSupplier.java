package dev.freshcreds;

/**
 * Code that supplies a web identity token (an OIDC JWT from Entra ID, GCP metadata, a CI
 * provider) for {@code AssumeRoleWithWebIdentity}, for a source built with
 * {@link FreshCredentialsSource#webIdentity(String, String, WebIdentityTokenSupplier)}: asked
 * for a token at every refresh of the role session, from the source's background refresh only,
 * bounded by its call timeout like a {@link CredentialsFetcher}.
 */
@FunctionalInterface
public interface WebIdentityTokenSupplier {
    /**
     * The current token.
     *
     * @return the token; never null or blank
     * @throws CredentialsFetchException to say whether trying again soon may help
     * @throws Exception any other failure counts as retryable
     */
    String token() throws Exception;
}
