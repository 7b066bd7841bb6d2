package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Map;
import java.util.Properties;

import org.junit.Test;

/** The JVM's proxy and trust store become the network options of a new source (no native code). */
public class JvmNetworkTest {
    private static final JvmNetwork.IssuerSource NO_ISSUERS = new JvmNetwork.IssuerSource() {
        @Override
        public X509Certificate[] get() {
            return new X509Certificate[0];
        }
    };

    private static FreshCredentialsOptions.Builder builder() {
        return FreshCredentialsOptions.builder().readSystemProperties(false);
    }

    @Test
    public void theJvmProxyPropertiesBecomeHttpsProxyAndNonProxyHosts() {
        Properties p = new Properties();
        p.setProperty("https.proxyHost", "proxy.corp.example");
        p.setProperty("https.proxyPort", "3128");
        p.setProperty("http.nonProxyHosts", "localhost|*.corp.example");
        Map<String, String> pairs = JvmNetwork.pairs(builder().build(), p, NO_ISSUERS);
        assertEquals("http://proxy.corp.example:3128", pairs.get("httpsProxy"));
        assertEquals("localhost|*.corp.example", pairs.get("nonProxyHosts"));
        assertFalse(pairs.containsKey("trustRootsPem"));

        p.remove("https.proxyPort");
        assertEquals("http://proxy.corp.example:443",
                JvmNetwork.pairs(builder().build(), p, NO_ISSUERS).get("httpsProxy"));
    }

    @Test
    public void theJvmProxyCredentialsGoIntoTheProxyUrlPercentEncoded() {
        Properties p = new Properties();
        p.setProperty("https.proxyHost", "proxy.corp.example");
        p.setProperty("https.proxyPort", "3128");
        p.setProperty("https.proxyUser", "CORP\\jane doe");
        p.setProperty("https.proxyPassword", "p@ss:w/ord\u00e9");
        assertEquals("http://CORP%5Cjane%20doe:p%40ss%3Aw%2Ford%C3%A9@proxy.corp.example:3128",
                JvmNetwork.pairs(builder().build(), p, NO_ISSUERS).get("httpsProxy"));
        p.remove("https.proxyPassword");
        assertEquals("http://CORP%5Cjane%20doe:@proxy.corp.example:3128",
                JvmNetwork.pairs(builder().build(), p, NO_ISSUERS).get("httpsProxy"));
        // A password without a user is not sent.
        p.remove("https.proxyUser");
        p.setProperty("https.proxyPassword", "orphan");
        assertEquals("http://proxy.corp.example:3128",
                JvmNetwork.pairs(builder().build(), p, NO_ISSUERS).get("httpsProxy"));
    }

    @Test
    public void optionsSetExplicitlyWinAndTheSwitchTurnsItOff() {
        Properties p = new Properties();
        p.setProperty("https.proxyHost", "jvm.proxy");
        p.setProperty("http.nonProxyHosts", "jvm.only");
        Map<String, String> pairs = JvmNetwork.pairs(
                builder().httpsProxy("http://mine:8080").build(), p, NO_ISSUERS);
        assertEquals("http://mine:8080", pairs.get("httpsProxy"));
        assertNull("the JVM's exceptions go with the JVM's proxy only", pairs.get("nonProxyHosts"));
        pairs = JvmNetwork.pairs(builder().jvmNetworkSettings(false).build(), p,
                JvmNetwork.DEFAULT_TRUST_MANAGER);
        assertTrue(pairs.isEmpty());
        assertFalse(builder().jvmNetworkSettings(false).build().toBuilder().build()
                .usesJvmNetworkSettings());
    }

    @Test
    public void theJvmTrustStoreBecomesPemCertificatesTheSameAsTheJvmHas() throws Exception {
        X509Certificate[] jvm = JvmNetwork.DEFAULT_TRUST_MANAGER.get();
        assertTrue("the JVM trusts some roots", jvm.length > 0);
        String pem = JvmNetwork.pairs(builder().build(), new Properties(),
                JvmNetwork.DEFAULT_TRUST_MANAGER).get("trustRootsPem");
        Collection<? extends Certificate> parsed = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(jvm.length, parsed.size());
        assertEquals(jvm[0], parsed.iterator().next());
    }

    @Test
    public void networkOptionsAreNotCopiedToTheBaseAndToStringSummarisesThem() {
        FreshCredentialsOptions base = builder().profile("ci").httpsProxy("http://u:pw@p:1")
                .trustRootsPem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n").build();
        FreshCredentialsOptions role = builder().roleArn("arn:aws:iam::1:role/r").base(base).build();
        assertEquals("ci", role.asMap().get("base.profile"));
        assertFalse(role.asMap().containsKey("base.httpsProxy"));
        assertFalse(role.asMap().containsKey("base.trustRootsPem"));
        String shown = base.toString();
        assertTrue(shown, shown.contains("httpsProxy=http://p:1"));
        assertTrue(shown, shown.contains("trustRootsPem=(1 certificates)"));
        assertFalse(shown, shown.contains("pw"));
    }
}
