package dev.freshcreds;

import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The JVM's network settings, handed to the native library when a source is created, so that
 * its HTTPS calls (STS, IAM Identity Center, AWS Sign-In) trust and route like the JVM's own:
 *
 * <ul>
 *   <li>{@code trustRootsPem}: the accepted issuers of the JVM's default trust manager (the
 *       {@code cacerts} store, or {@code javax.net.ssl.trustStore}), added to the roots the
 *       native library trusts (the platform's store, or {@code AWS_CA_BUNDLE});
 *   <li>{@code httpsProxy}: {@code https.proxyHost} and {@code https.proxyPort} (default 443),
 *       with {@code https.proxyUser} and {@code https.proxyPassword} when set (the names the AWS
 *       SDK's HTTP clients read), percent-encoded into the URL as its user and password: the
 *       native side sends them as {@code Proxy-Authorization: Basic} and never shows them;
 *   <li>{@code nonProxyHosts}: {@code http.nonProxyHosts} (the JVM uses it for HTTPS too).
 * </ul>
 *
 * <p>An option set explicitly (builder or {@code -Dfreshcreds.<key>}) wins.
 * {@link FreshCredentialsOptions.Builder#jvmNetworkSettings(boolean)} turns this off.
 */
final class JvmNetwork {
    /** The options this class may fill in. */
    static final String HTTPS_PROXY = OptionSpec.HTTPS_PROXY;
    static final String NON_PROXY_HOSTS = OptionSpec.NON_PROXY_HOSTS;
    static final String TRUST_ROOTS_PEM = OptionSpec.TRUST_ROOTS_PEM;

    private JvmNetwork() {
    }

    /**
     * The options to pass: {@code options}, plus the JVM's settings it does not set.
     *
     * @param options the source's options
     * @param properties the system properties
     * @param issuers the JVM's trusted issuers (a supplier so tests can pass their own)
     * @return the pairs, in order
     */
    static Map<String, String> pairs(FreshCredentialsOptions options, Properties properties,
            IssuerSource issuers) {
        Map<String, String> out = new LinkedHashMap<String, String>(options.asMap());
        if (!options.usesJvmNetworkSettings()) {
            return out;
        }
        String host = trimmed(properties.getProperty("https.proxyHost"));
        if (host != null && !out.containsKey(HTTPS_PROXY)) {
            String port = trimmed(properties.getProperty("https.proxyPort"));
            String user = trimmed(properties.getProperty("https.proxyUser"));
            String password = properties.getProperty("https.proxyPassword");
            String credentials = user == null ? ""
                    : userInfo(user) + ":" + userInfo(password == null ? "" : password) + "@";
            out.put(HTTPS_PROXY, "http://" + credentials + host + ":" + (port == null ? "443" : port));
            String nonProxy = trimmed(properties.getProperty("http.nonProxyHosts"));
            if (nonProxy != null && !out.containsKey(NON_PROXY_HOSTS)) {
                out.put(NON_PROXY_HOSTS, nonProxy);
            }
        }
        if (!out.containsKey(TRUST_ROOTS_PEM)) {
            String pem = cachedPem(issuers.get());
            if (!pem.isEmpty()) {
                out.put(TRUST_ROOTS_PEM, pem);
            }
        }
        return out;
    }

    /** Where the JVM's trusted issuers come from. */
    interface IssuerSource {
        X509Certificate[] get();
    }

    /** The accepted issuers of the JVM's default trust manager; none if it cannot be read. */
    static final IssuerSource DEFAULT_TRUST_MANAGER = new IssuerSource() {
        @Override
        public X509Certificate[] get() {
            try {
                TrustManagerFactory tmf =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
                for (TrustManager tm : tmf.getTrustManagers()) {
                    if (tm instanceof X509TrustManager) {
                        return ((X509TrustManager) tm).getAcceptedIssuers();
                    }
                }
            } catch (Exception e) {
                // No JVM roots: the native library still trusts the platform's store.
            }
            return new X509Certificate[0];
        }
    };

    /** Guarded by {@code JvmNetwork.class}: the issuers {@link #lastPem} was made of. */
    private static X509Certificate[] lastIssuers;
    /** Guarded by {@code JvmNetwork.class}: their PEM text. */
    private static String lastPem;

    /**
     * {@link #pem} of the issuers, encoded once while they stay the same: a JVM that creates
     * thousands of sources (one per role session) neither re-encodes the trust store for each
     * nor leaves hundreds of kilobytes of garbage per source.
     */
    static synchronized String cachedPem(X509Certificate[] certs) {
        if (lastPem == null || !java.util.Arrays.equals(lastIssuers, certs)) {
            lastPem = pem(certs);
            lastIssuers = certs.clone();
        }
        return lastPem;
    }

    /** The certificates as PEM blocks; certificates that cannot be encoded are skipped. */
    static String pem(X509Certificate[] certs) {
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : certs) {
            try {
                sb.append("-----BEGIN CERTIFICATE-----\n")
                        .append(b64.encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (CertificateEncodingException e) {
                // Skipped, as the native side skips roots it cannot use.
            }
        }
        return sb.toString();
    }

    /** {@code s} percent-encoded for the user or password of a URL (RFC 3986 unreserved kept). */
    static String userInfo(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    private static String trimmed(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
