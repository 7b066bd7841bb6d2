package dev.freshcreds.spring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Matches unless the application configured Spring Cloud AWS's credentials: one of its
 * {@code spring.cloud.aws.credentials.*} properties ({@link #SETTINGS}; {@code instance-profile}
 * only when {@code true}) or an {@code AwsConnectionDetails} bean (Spring Cloud AWS's service
 * connection, e.g. LocalStack under Testcontainers or Docker Compose). The starter's auto-configuration
 * runs before Spring Cloud AWS's, so without this its provider would win and those settings would be
 * ignored. Relies on Spring Cloud AWS being on the class path: without it the properties configure
 * nothing and the starter defines its provider.
 *
 * <p>When it does not match it logs one INFO line naming the setting (never its value).
 */
final class NoSpringCloudAwsCredentialsCondition extends SpringBootCondition implements ConfigurationCondition {
    /** Spring Cloud AWS's credentials auto-configuration, which the starter then leaves it to. */
    static final String SPRING_CLOUD_AWS_CREDENTIALS =
            "io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration";
    /** Spring Cloud AWS's connection details (service connections define a bean of it). */
    static final String AWS_CONNECTION_DETAILS = "io.awspring.cloud.autoconfigure.core.AwsConnectionDetails";
    /** The prefix of Spring Cloud AWS's credentials properties. */
    static final String PREFIX = "spring.cloud.aws.credentials";
    /** Spring Cloud AWS's credentials properties: any of them set means Spring Cloud AWS decides. */
    static final List<String> SETTINGS = Collections.unmodifiableList(Arrays.asList(
            PREFIX + ".access-key",
            PREFIX + ".secret-key",
            PREFIX + ".profile.name",
            PREFIX + ".profile.path",
            PREFIX + ".instance-profile",
            PREFIX + ".sts.*"));

    private static final Log LOG = LogFactory.getLog(FreshCredentialsAutoConfiguration.class);

    /** Bean conditions are decided once the application's and earlier auto-configurations' beans are known. */
    @Override
    public ConfigurationPhase getConfigurationPhase() {
        return ConfigurationPhase.REGISTER_BEAN;
    }

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        ClassLoader loader = context.getClassLoader();
        if (!ClassUtils.isPresent(SPRING_CLOUD_AWS_CREDENTIALS, loader)) {
            return ConditionOutcome.match("Spring Cloud AWS is not on the class path");
        }
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        if (beans != null && beans.getBeanNamesForType(AwsCredentialsProvider.class, true, false).length > 0) {
            // The application's own provider wins over both (@ConditionalOnMissingBean): nothing to say.
            return ConditionOutcome.match("the application defines an AwsCredentialsProvider");
        }
        List<String> set = configured(Binder.get(context.getEnvironment()));
        if (set.isEmpty() && hasConnectionDetails(beans, loader)) {
            set.add("an AwsConnectionDetails bean (a Spring Cloud AWS service connection)");
        }
        if (set.isEmpty()) {
            return ConditionOutcome.match("no Spring Cloud AWS credentials are configured");
        }
        String why = "Spring Cloud AWS credentials are configured (" + String.join(", ", set) + ")";
        LOG.info("freshcreds stands aside: " + why + ", so Spring Cloud AWS defines the"
                + " AwsCredentialsProvider and the freshcreds one is not created");
        return ConditionOutcome.noMatch(why);
    }

    /** The settings among {@link #SETTINGS} that are set, by name. */
    static List<String> configured(Binder binder) {
        List<String> set = new ArrayList<String>();
        for (String name : SETTINGS) {
            if (name.endsWith(".*")) {
                String group = name.substring(0, name.length() - 2);
                Map<String, String> values = binder.bind(group, Bindable.mapOf(String.class, String.class))
                        .orElse(Collections.<String, String>emptyMap());
                for (String key : values.keySet()) {
                    set.add(group + "." + key);
                }
            } else if (name.endsWith(".instance-profile")) {
                if (binder.bind(name, Boolean.class).orElse(Boolean.FALSE)) {
                    set.add(name);
                }
            } else if (StringUtils.hasText(binder.bind(name, String.class).orElse(null))) {
                set.add(name);
            }
        }
        return set;
    }

    private static boolean hasConnectionDetails(ConfigurableListableBeanFactory beans, ClassLoader loader) {
        if (beans == null || !ClassUtils.isPresent(AWS_CONNECTION_DETAILS, loader)) {
            return false;
        }
        Class<?> type = ClassUtils.resolveClassName(AWS_CONNECTION_DETAILS, loader);
        return beans.getBeanNamesForType(type, true, false).length > 0;
    }
}
