package dev.freshcreds;

/**
 * Native entry points that exist for tests only. This class is part of the test sources, not of
 * the product jar, so applications cannot reach these methods.
 */
final class NativeTestHooks {
    private NativeTestHooks() {
    }

    /**
     * Raises {@code count} native log events ({@code message i}, target
     * {@code freshcreds::jni::test}) on the calling thread.
     *
     * @param level a native level number ({@code NativeLayout.LOG_ERROR} to {@code LOG_TRACE})
     * @param message the message prefix
     * @param count how many events
     */
    static native void log(int level, String message, int count);
}
