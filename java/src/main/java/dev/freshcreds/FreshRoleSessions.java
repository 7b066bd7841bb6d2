package dev.freshcreds;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Role sessions over one base, by role and session name, for per-tenant use: one
 * {@link FreshCredentialsSource} per {@code (roleArn, roleSessionName)}, created on first use and
 * kept until it is the least recently used of more than {@code maxSessions} (then it is closed).
 * Every session shares the base's refresh engine and STS client (the native side shares a base
 * among all roles over the same options): one fetch of the base per base rotation, however
 * many roles. Thread-safe.
 *
 * <p>Ask the cache for the session each time rather than keeping it: an evicted session is
 * closed, and using it afterwards throws {@link IllegalStateException}.
 */
public final class FreshRoleSessions implements AutoCloseable {
    /** The default bound on the number of open role sessions. */
    public static final int DEFAULT_MAX_SESSIONS = 10_000;

    private final FreshCredentialsOptions base;
    /**
     * {@link #base} with the JVM's network settings (its proxy and its trust store, as
     * {@link JvmNetwork} reads them) filled in once for every session: reading the trust store
     * again for each of thousands of sessions cost seconds and megabytes of native memory.
     * Every session shares the base's network anyway (one STS client per base).
     */
    private final FreshCredentialsOptions sessionBase;
    private final int maxSessions;
    /** Guarded by {@code this}; in access order, least recently used first. */
    private final LinkedHashMap<String, FreshCredentialsSource> sessions =
            new LinkedHashMap<String, FreshCredentialsSource>(16, 0.75f, true);
    /** Guarded by {@code this}. */
    private boolean closed;

    private FreshRoleSessions(FreshCredentialsOptions base, int maxSessions) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, not " + maxSessions);
        }
        if (base.asMap().containsKey(OptionSpec.ROLE_ARN)) {
            throw new IllegalArgumentException("the base options of FreshRoleSessions must not assume a role"
                    + " themselves (give the role chain's base as base.* options instead)");
        }
        this.base = base;
        this.sessionBase = withJvmNetwork(base);
        this.maxSessions = maxSessions;
    }

    /**
     * {@code base} with the JVM network settings it does not set filled in (the same ones
     * {@link FreshCredentialsSource#create(FreshCredentialsOptions)} would fill in), or
     * {@code base} itself when it does not use the JVM's.
     */
    static FreshCredentialsOptions withJvmNetwork(FreshCredentialsOptions base) {
        if (!base.usesJvmNetworkSettings()) {
            return base;
        }
        Map<String, String> pairs = JvmNetwork.pairs(base, System.getProperties(), JvmNetwork.DEFAULT_TRUST_MANAGER);
        FreshCredentialsOptions.Builder b = base.toBuilder();
        for (String key : FreshCredentialsOptions.NETWORK_KEYS) {
            String value = pairs.get(key);
            if (value != null && !base.asMap().containsKey(key)) {
                b.option(key, value);
            }
        }
        return b.build();
    }

    /**
     * Role sessions over {@code base}, at most {@link #DEFAULT_MAX_SESSIONS} open.
     *
     * @param base where the base credentials come from (the default chain: {@code defaults()})
     * @return the cache
     */
    public static FreshRoleSessions over(FreshCredentialsOptions base) {
        return new FreshRoleSessions(base, DEFAULT_MAX_SESSIONS);
    }

    /**
     * Role sessions over {@code base}, at most {@code maxSessions} open.
     *
     * @param base where the base credentials come from
     * @param maxSessions the bound (at least 1)
     * @return the cache
     */
    public static FreshRoleSessions over(FreshCredentialsOptions base, int maxSessions) {
        return new FreshRoleSessions(base, maxSessions);
    }

    /**
     * The session of this role, created on first use (its first fetch starts in the background).
     *
     * @param roleArn the role
     * @param roleSessionName the session name
     * @return the open session
     * @throws IllegalStateException after {@link #close()}
     */
    public FreshCredentialsSource session(String roleArn, String roleSessionName) {
        String key = roleArn + '\n' + roleSessionName;
        List<FreshCredentialsSource> evicted = new ArrayList<FreshCredentialsSource>();
        FreshCredentialsSource session;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("these FreshRoleSessions are closed");
            }
            session = sessions.get(key);
            if (session == null) {
                session = FreshCredentialsSource.create(
                        sessionBase.toBuilder().assumeRole(roleArn, roleSessionName).build());
                sessions.put(key, session);
                Iterator<Map.Entry<String, FreshCredentialsSource>> it = sessions.entrySet().iterator();
                while (sessions.size() > maxSessions && it.hasNext()) {
                    evicted.add(it.next().getValue());
                    it.remove();
                }
            }
        }
        for (FreshCredentialsSource s : evicted) {
            s.close();
        }
        return session;
    }

    /**
     * How many sessions are open.
     *
     * @return the count, at most the bound
     */
    public synchronized int size() {
        return sessions.size();
    }

    /**
     * The bound on open sessions.
     *
     * @return the bound
     */
    public int maxSessions() {
        return maxSessions;
    }

    /** Closes every session. */
    @Override
    public void close() {
        List<FreshCredentialsSource> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<FreshCredentialsSource>(sessions.values());
            sessions.clear();
        }
        for (FreshCredentialsSource s : all) {
            s.close();
        }
    }

    @Override
    public synchronized String toString() {
        return "FreshRoleSessions{" + sessions.size() + " of at most " + maxSessions + ", base=" + base + "}";
    }
}
