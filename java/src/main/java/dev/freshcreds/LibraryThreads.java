package dev.freshcreds;

/** How the library starts its threads: daemon, named for their one job, with nothing inherited. */
final class LibraryThreads {
    private LibraryThreads() {
    }

    /**
     * Starts a daemon thread.
     *
     * @param job what it runs
     * @param name its name, which says its job
     * @return the started thread
     */
    static Thread start(Runnable job, String name) {
        Thread t = new Thread(job, name);
        t.setDaemon(true);
        // Neither the creating thread's context class loader nor its priority is inherited.
        t.setContextClassLoader(null);
        t.setPriority(Thread.NORM_PRIORITY);
        t.start();
        return t;
    }
}
