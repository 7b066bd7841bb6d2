package dev.freshcreds.internal;

import java.lang.instrument.Instrumentation;

/**
 * The Java agent entry points ({@code java -javaagent:freshcreds-<version>.jar[=all] -jar app.jar}):
 * switch the SDKs' global hooks on ({@link Global}) and make them link against the SDK that loads
 * them, whatever class loader that is ({@link HookInjector}: an SDK in Spring Boot's
 * {@code BOOT-INF/lib}, a web application, a plugin). The agent changes no byte code. The jar
 * itself declares no hooks (a jar that did would break SDKs in child class loaders wherever it
 * is on a class path): the agent declares them to both SDKs ({@link HookDeclarations}). Not an API.
 */
public final class Agent {
    private Agent() {
    }

    /**
     * Called before {@code main} with {@code -javaagent}.
     *
     * @param agentArgs {@code all} for every client, else clients of the default chain
     * @param instrumentation used to define the hooks in the SDKs' class loaders
     */
    public static void premain(String agentArgs, Instrumentation instrumentation) {
        Global.enableFromAgent(agentArgs);
        HookInjector.install(instrumentation);
        HookDeclarations.publish(instrumentation);
    }

    /**
     * Called when the agent is attached to a running JVM; clients built afterwards are affected.
     *
     * @param agentArgs as for {@link #premain}
     * @param instrumentation used to define the hooks in the SDKs' class loaders
     */
    public static void agentmain(String agentArgs, Instrumentation instrumentation) {
        Global.enableFromAgent(agentArgs);
        HookInjector.install(instrumentation);
        HookDeclarations.publish(instrumentation);
    }
}
