package dev.freshcreds.spring;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.LogCapture;
import io.awspring.cloud.autoconfigure.core.AwsConnectionDetails;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The starter and Spring Cloud AWS's own credentials auto-configuration in one context: when the
 * application configured Spring Cloud AWS credentials (its {@code spring.cloud.aws.credentials.*}
 * properties or an {@link AwsConnectionDetails} bean, as a LocalStack service connection defines),
 * those win and the starter defines no provider. Nothing here resolves credentials through Spring
 * Cloud AWS's providers, and its region is static: no request leaves the machine.
 */
public class SpringCloudAwsCredentialsTest {
    private static final String LOGGER = FreshCredentialsAutoConfiguration.class.getName();
    private static Path profileFile;
    private static Path tokenFile;

    @BeforeClass
    public static void files() throws IOException {
        profileFile = Files.createTempFile("freshcreds-spring-cloud-aws", ".credentials");
        Files.write(profileFile, "[dev]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s\n".getBytes("UTF-8"));
        tokenFile = Files.createTempFile("freshcreds-spring-cloud-aws", ".token");
        Files.write(tokenFile, "token".getBytes("UTF-8"));
    }

    @AfterClass
    public static void deleteFiles() throws IOException {
        Files.deleteIfExists(profileFile);
        Files.deleteIfExists(tokenFile);
    }

    private static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        CredentialsProviderAutoConfiguration.class, RegionProviderAutoConfiguration.class,
                        FreshCredentialsAutoConfiguration.class, FreshCredentialsHealthAutoConfiguration.class))
                .withPropertyValues(
                        "freshcreds.read-system-properties=false",
                        "freshcreds.source=systemProperties",
                        "freshcreds.options[aws.accessKeyId]=AKIAFRESH",
                        "freshcreds.options[aws.secretAccessKey]=secret-fresh",
                        "spring.cloud.aws.region.static=us-east-1");
    }

    /** Each Spring Cloud AWS credentials setting, alone (with what it needs to start). */
    private static List<String[]> springCloudAwsSettings() {
        return Arrays.asList(
                new String[] {"spring.cloud.aws.credentials.access-key=AKIASPRING",
                    "spring.cloud.aws.credentials.secret-key=secret-spring"},
                new String[] {"spring.cloud.aws.credentials.access-key=AKIASPRING"},
                new String[] {"spring.cloud.aws.credentials.secret-key=secret-spring"},
                new String[] {"spring.cloud.aws.credentials.accessKey=AKIASPRING"},
                new String[] {"spring.cloud.aws.credentials.profile.name=dev",
                    "spring.cloud.aws.credentials.profile.path=" + profileFile},
                new String[] {"spring.cloud.aws.credentials.profile.name=dev"},
                new String[] {"spring.cloud.aws.credentials.profile.path=" + profileFile},
                new String[] {"spring.cloud.aws.credentials.instance-profile=true"},
                new String[] {"spring.cloud.aws.credentials.sts.role-arn=arn:aws:iam::123456789012:role/spring",
                    "spring.cloud.aws.credentials.sts.web-identity-token-file=" + tokenFile},
                new String[] {"spring.cloud.aws.credentials.sts.role-session-name=spring"});
    }

    @Test
    public void withASpringCloudAwsCredentialsPropertySetNoFreshcredsProviderIsDefined() {
        for (final String[] settings : springCloudAwsSettings()) {
            runner().withPropertyValues(settings).run(context -> {
                String what = Arrays.toString(settings);
                assertNull(what, context.getStartupFailure());
                assertTrue(what, context.getBeansOfType(FreshAwsCredentialsProvider.class).isEmpty());
                assertTrue(what, context.getBeansOfType(FreshCredentialsHealthIndicator.class).isEmpty());
                Map<String, AwsCredentialsProvider> beans = context.getBeansOfType(AwsCredentialsProvider.class);
                assertEquals(what + beans, 1, beans.size());
            });
        }
    }

    @Test
    public void anAwsConnectionDetailsBeanWinsAndNoFreshcredsProviderIsDefined() {
        AwsConnectionDetails localstack = new AwsConnectionDetails() {
            @Override
            public String getAccessKey() {
                return "AKIALOCALSTACK";
            }

            @Override
            public String getSecretKey() {
                return "secret-localstack";
            }
        };
        runner().withBean(AwsConnectionDetails.class, () -> localstack).run(context -> {
            assertNull(context.getStartupFailure());
            assertTrue(context.getBeansOfType(FreshAwsCredentialsProvider.class).isEmpty());
            AwsCredentialsProvider bean = context.getBean(AwsCredentialsProvider.class);
            assertEquals("AKIALOCALSTACK", bean.resolveCredentials().accessKeyId());
        });
    }

    @Test
    public void withNoSpringCloudAwsCredentialsSettingTheFreshcredsProviderIsDefined() {
        runner().withPropertyValues("spring.cloud.aws.credentials.instance-profile=false").run(context -> {
            assertNull(context.getStartupFailure());
            AwsCredentialsProvider bean = context.getBean(AwsCredentialsProvider.class);
            assertTrue(bean.toString(), bean instanceof FreshAwsCredentialsProvider);
            assertEquals("AKIAFRESH", bean.resolveCredentials().accessKeyId());
        });
    }

    @Test
    public void standingAsideIsLoggedOnceAtInfoNamingTheSettingButNoValue() {
        LogCapture capture = new LogCapture();
        Logger logger = Logger.getLogger(LOGGER);
        Level level = logger.getLevel();
        logger.setLevel(Level.ALL);
        logger.addHandler(capture);
        try {
            runner().withPropertyValues(
                    "spring.cloud.aws.credentials.access-key=AKIASPRING",
                    "spring.cloud.aws.credentials.secret-key=secret-spring").run(context -> {
                        assertNull(context.getStartupFailure());
                    });
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(level);
        }
        List<String> info = new ArrayList<String>();
        for (LogRecord r : capture.records()) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
                info.add(r.getMessage());
            }
        }
        assertEquals(info.toString(), 1, info.size());
        String line = info.get(0);
        assertTrue(line, line.contains("stands aside"));
        assertTrue(line, line.contains("spring.cloud.aws.credentials.access-key"));
        assertFalse(line, line.contains("secret-spring"));
        assertFalse(line, line.contains("AKIASPRING"));
    }
}
