package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous calls (deleteDeviceAsync, getDeviceAsync, getAliasAsync)
 * against engagelab-mock: results and exception classes as the sync calls,
 * completion on the library's threads, 1 000 futures on one client within
 * EL_ASYNC_THREADS threads, cancel through the future, and per-call timeouts
 * of calls waiting for a thread.
 */
class AsyncTest {
    private static final long WAIT_S = 10;

    @AfterEach
    void nothingPending() {
        assertEquals(0, Async.pending(), "every started call ended");
    }

    /** What {@code future} failed with, unwrapped; fails if it did not fail. */
    private static Throwable failure(CompletableFuture<?> future) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(WAIT_S, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void deleteDeviceAsyncSucceedsFailsAndReportsNotFound() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-del-1");
        mock.script("async-del-busy", "[{\"status\":503}]");
        try (Client client = mock.client().maxRetries(0).build()) {
            assertNull(client.deleteDeviceAsync("async-del-1").get(WAIT_S, TimeUnit.SECONDS));
            assertFalse(mock.devices().contains("async-del-1"));

            NotFoundException nf = assertInstanceOf(NotFoundException.class,
                    failure(client.deleteDeviceAsync("async-del-1")));
            assertEquals(400, nf.httpStatus().getAsInt());
            assertEquals(27002, nf.apiCode().getAsLong());
            assertEquals(1, nf.attempts());

            ServerException server = assertInstanceOf(ServerException.class,
                    failure(client.deleteDeviceAsync("async-del-busy")));
            assertEquals(503, server.httpStatus().getAsInt());

            // A bad id reaches the future from the library's check, as the sync call's exception.
            InvalidArgumentException bad = assertInstanceOf(InvalidArgumentException.class,
                    failure(client.deleteDeviceAsync("bad id")));
            assertEquals(0, bad.attempts());
            String syncMessage = assertThrows(InvalidArgumentException.class,
                    () -> client.deleteDevice("bad id")).getMessage();
            assertEquals(syncMessage, bad.getMessage());

            // What C cannot carry fails the future before the call returns.
            CompletableFuture<Void> nul = client.deleteDeviceAsync("a\0b");
            assertTrue(nul.isCompletedExceptionally());
            assertInstanceOf(InvalidArgumentException.class, failure(nul));

            TimeoutException zero = assertInstanceOf(TimeoutException.class,
                    failure(client.deleteDeviceAsync("async-del-1", Duration.ZERO)));
            assertEquals(0, zero.attempts());
            assertFalse(zero.maybeDeleted());

            // join() wraps as CompletableFuture does.
            CompletionException wrapped = assertThrows(CompletionException.class,
                    () -> client.deleteDeviceAsync("async-del-1").join());
            assertInstanceOf(NotFoundException.class, wrapped.getCause());

            assertThrows(NullPointerException.class, () -> client.deleteDeviceAsync(null));
            assertThrows(IllegalArgumentException.class,
                    () -> client.deleteDeviceAsync("x", Duration.ofMillis(-1)));
        }
        Client closed = mock.client().build();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.deleteDeviceAsync("async-del-1"));
        assertThrows(IllegalStateException.class, () -> closed.getAliasAsync("async-user"));
    }

    @Test
    void getDeviceAsyncSucceedsFailsAndReportsNotFound() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree(
                "{\"registration_id\":\"async-get-1\",\"tags\":[\"vip\",\"beta\"],\"alias\":\"alice\"}"));
        mock.script("async-get-broken", "[{\"status\":500}]");
        try (Client client = mock.client().maxRetries(0).build()) {
            Device device = client.getDeviceAsync("async-get-1").get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(client.getDevice("async-get-1"), device);
            assertEquals(List.of("vip", "beta"), device.tags());
            assertEquals(Optional.of("alice"), device.alias());
            assertEquals(device, client.getDeviceAsync("async-get-1", Duration.ofSeconds(5))
                    .get(WAIT_S, TimeUnit.SECONDS));

            NotFoundException nf = assertInstanceOf(NotFoundException.class,
                    failure(client.getDeviceAsync("async-get-nope")));
            assertEquals(27002, nf.apiCode().getAsLong());
            assertFalse(nf.maybeDeleted());

            ServerException server = assertInstanceOf(ServerException.class,
                    failure(client.getDeviceAsync("async-get-broken")));
            assertEquals(500, server.httpStatus().getAsInt());
            assertInstanceOf(InvalidArgumentException.class, failure(client.getDeviceAsync("")));
            assertThrows(NullPointerException.class, () -> client.getDeviceAsync(null));
        }
        assertTrue(mock.devices().contains("async-get-1"), "a query deletes nothing");
    }

    @Test
    void getAliasAsyncSucceedsFailsAndFindsNothingForAnUnknownAlias() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree(
                "{\"registration_id\":\"async-a-android\",\"alias\":\"async-user\",\"platform\":\"android\"}"));
        mock.addDevice(Mock.JSON.readTree(
                "{\"registration_id\":\"async-a-ios\",\"alias\":\"async-user\",\"platform\":\"ios\"}"));
        mock.scriptAlias("async-broken-user", "[{\"status\":500}]");
        try (Client client = mock.client().maxRetries(0).build()) {
            List<String> all = client.getAliasAsync("async-user").get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(List.of("async-a-android", "async-a-ios"), all);
            assertThrows(UnsupportedOperationException.class, () -> all.add("x"));
            assertEquals(List.of("async-a-ios"),
                    client.getAliasAsync("async-user", "ios").get(WAIT_S, TimeUnit.SECONDS));
            assertEquals(List.of("async-a-android"), client.getAliasAsync("async-user", Duration.ofSeconds(5),
                    "android").get(WAIT_S, TimeUnit.SECONDS));
            assertEquals(List.of(), client.getAliasAsync("async-nobody").get(WAIT_S, TimeUnit.SECONDS));

            assertInstanceOf(ServerException.class, failure(client.getAliasAsync("async-broken-user")));
            assertInstanceOf(InvalidArgumentException.class, failure(client.getAliasAsync("async-user", "windows")));
            assertInstanceOf(InvalidArgumentException.class, failure(client.getAliasAsync("a/b")));
            CompletableFuture<List<String>> nul = client.getAliasAsync("async-user", "i\0s");
            assertTrue(nul.isCompletedExceptionally(), "a NUL fails before the call returns");
            assertInstanceOf(InvalidArgumentException.class, failure(nul));
            assertThrows(NullPointerException.class, () -> client.getAliasAsync(null));
            assertThrows(NullPointerException.class, () -> client.getAliasAsync("async-user", (String) null));
        }
    }

    @Test
    void futuresCompleteOnTheLibrarysThreads() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-thread");
        // A slow answer: the stage below is chained long before the call ends.
        mock.script("async-thread", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":300}]");
        Thread caller = Thread.currentThread();
        try (Client client = mock.client().build()) {
            Thread on = client.deleteDeviceAsync("async-thread")
                    .thenApply(x -> Thread.currentThread())
                    .get(WAIT_S, TimeUnit.SECONDS);
            assertNotSame(caller, on);
            assertEquals(Async.THREAD_NAME, on.getName());
            assertTrue(on.isDaemon(), "the library's threads never hold the JVM open");
        }
    }

    /** The threads of this process: /proc/self/task. */
    private static int threads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return (int) tasks.count();
        }
    }

    /** The library's own threads (engagelab-async workers, the engagelab-watch watcher), by their names. */
    private static int libraryThreads() throws IOException {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    if (comm.equals("engagelab-async") || comm.equals("engagelab-watch")) {
                        n++;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return n;
    }

    /** The JVM's threads named as the library's threads are while attached. */
    private static long attachedThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(Async.THREAD_NAME))
                .count();
    }

    private static void awaitNoLibraryThreads() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while ((libraryThreads() > 0 || attachedThreads() > 0) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(0, libraryThreads(), "the library's threads end once their client is closed");
        assertEquals(0, attachedThreads(), "JNA detaches each thread when it ends");
    }

    /**
     * 1 000 futures on one client all complete, on at most EL_ASYNC_THREADS
     * workers and the watcher. The process's thread count is sampled every
     * 2 ms (by a sampler started before the baseline, so not counted as
     * new); the library's threads are told apart by their names. JVM_MARGIN
     * is for threads the JVM may start on its own meanwhile: G1's concurrent
     * refinement threads (started lazily, up to ParallelGCThreads) and
     * dynamically added JIT compiler threads (UseDynamicNumberOfCompilerThreads,
     * up to CICompilerCount): on the 2-core test machine 2 + 2, and 4 more for
     * larger machines' counts. Attaching a thread for a callback creates none.
     */
    @Test
    void aThousandFuturesCompleteWithinTheThreadLimit() throws Exception {
        final int calls = 1000;
        final int jvmMargin = 8;
        Mock mock = Mock.shared();
        // Every answer 20 ms late, so that the calls pile up; unknown ids deleted.
        mock.config("{\"unknown_device\":{\"status\":200},\"latency_ms\":20}");
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicInteger most = new AtomicInteger();
        AtomicInteger mostLibrary = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            try {
                while (sampling.get()) {
                    most.accumulateAndGet(threads(), Math::max);
                    mostLibrary.accumulateAndGet(libraryThreads(), Math::max);
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "async-test-sampler");
        sampler.setDaemon(true);
        try (Client client = mock.client().build()) {
            // Warm up what the JVM and JNA set up once (classes, callbacks,
            // JNA's cleaner), then wait for the warm-up's threads to end.
            client.getAliasAsync("warm-up", "ios").get(WAIT_S, TimeUnit.SECONDS);
            client.deleteDeviceAsync("warm-up").get(WAIT_S, TimeUnit.SECONDS);
            client.getDeviceAsync("warm-up").handle((d, e) -> d).get(WAIT_S, TimeUnit.SECONDS);
            sampler.start();
            try (Client other = mock.client().build()) {
                other.deleteDeviceAsync("warm-up").get(WAIT_S, TimeUnit.SECONDS);
            }
            Thread.sleep(50);
            int start = threads() - libraryThreads();
            List<CompletableFuture<?>> futures = new ArrayList<>(calls);
            AtomicInteger offThread = new AtomicInteger();
            Thread caller = Thread.currentThread();
            for (int i = 0; i < calls; i++) {
                CompletableFuture<?> f = i % 2 == 0
                        ? client.deleteDeviceAsync("many-" + i)
                        : client.getAliasAsync("many-user-" + i, "android", "ios");
                futures.add(f.whenComplete((v, e) -> {
                    if (Thread.currentThread() != caller) {
                        offThread.incrementAndGet();
                    }
                }));
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
            sampling.set(false);
            sampler.join();
            System.out.printf("AsyncTest: %d threads before, %d at most (%d of the library at most)%n",
                    start, most.get(), mostLibrary.get());
            assertTrue(mostLibrary.get() <= Defaults.ASYNC_THREADS + 1,
                    "the library ran " + mostLibrary.get() + " threads");
            assertTrue(most.get() <= start + Defaults.ASYNC_THREADS + 1 + jvmMargin,
                    most.get() + " threads at most, " + start + " before");
            assertTrue(offThread.get() >= calls - 64, offThread.get() + " completed off the caller's thread");
        } finally {
            sampling.set(false);
        }
        assertEquals(calls / 2, mock.log().stream()
                .filter(r -> r.get("path").asText().startsWith("/v4/devices/many-")).count());
        awaitNoLibraryThreads();
    }

    /** How long after {@code since} (System.nanoTime) {@code call} ended, in ms, and with which C status. */
    private static long[] endedAfter(CompletableFuture<?> call, long since) throws Exception {
        AtomicLong at = new AtomicLong();
        int status = ((Async.Call<?>) call).ended()
                .whenComplete((s, e) -> at.compareAndSet(0, System.nanoTime()))
                .get(WAIT_S, TimeUnit.SECONDS);
        return new long[] {(at.get() - since) / 1_000_000, status};
    }

    @Test
    void cancelStopsACallWaitingForASlowAnswer() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-slow");
        mock.script("async-slow", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]");
        try (Client client = mock.client().build()) {
            CompletableFuture<Void> f = client.deleteDeviceAsync("async-slow");
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (mock.log().isEmpty() && System.nanoTime() < giveUp) {
                Thread.sleep(5);
            }
            long cancelledAt = System.nanoTime();
            assertTrue(f.cancel(true));
            assertTrue(f.isCancelled());
            assertThrows(CancellationException.class, f::join);
            long[] ended = endedAfter(f, cancelledAt);
            assertEquals(Status.CANCELLED.code(), ended[1]);
            assertTrue(ended[0] <= 100, "the call ended " + ended[0] + " ms after the cancel");
            assertTrue(mock.devices().contains("async-slow"), "the request was not answered: the device stays");
            assertTrue(f.cancel(true), "still cancelled, as CompletableFuture says");
        }
    }

    @Test
    void cancelAfterTheEndChangesNothing() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-done");
        try (Client client = mock.client().build()) {
            CompletableFuture<Void> f = client.deleteDeviceAsync("async-done");
            f.get(WAIT_S, TimeUnit.SECONDS);
            assertFalse(f.cancel(false));
            assertFalse(f.isCancelled());
        }
    }

    /**
     * Behind EL_ASYNC_THREADS slow calls, a waiting call cancelled with
     * cancel(false) ends at its cancel, and one with a 300 ms timeout fails
     * with TimeoutException at its timeout; neither sends anything. Had they
     * waited for a thread, they would end with the busy calls, after 1500 ms:
     * the bounds leave a loaded machine room short of that.
     */
    @Test
    void waitingCallsEndAtTheirCancelAndTheirTimeout() throws Exception {
        Mock mock = Mock.shared();
        int busy = Defaults.ASYNC_THREADS;
        for (int i = 0; i < busy; i++) {
            mock.addDevice("async-busy-" + i);
            mock.script("async-busy-" + i, "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":1500}]");
        }
        mock.addDevice("async-waiting");
        try (Client client = mock.client().build()) {
            List<CompletableFuture<Void>> slow = new ArrayList<>();
            for (int i = 0; i < busy; i++) {
                slow.add(client.deleteDeviceAsync("async-busy-" + i));
            }
            CompletableFuture<Device> cancelled = client.getDeviceAsync("async-waiting");
            long cancelledAt = System.nanoTime();
            assertTrue(cancelled.cancel(false));
            long[] ended = endedAfter(cancelled, cancelledAt);
            assertEquals(Status.CANCELLED.code(), ended[1]);
            assertTrue(ended[0] < 750, "the waiting call ended " + ended[0] + " ms after the cancel");

            long startedAt = System.nanoTime();
            CompletableFuture<Void> timed = client.deleteDeviceAsync("async-waiting", Duration.ofMillis(300));
            AtomicLong settledAt = new AtomicLong();
            timed.whenComplete((v, e) -> settledAt.set(System.nanoTime()));
            TimeoutException e = assertInstanceOf(TimeoutException.class, failure(timed));
            long ms = (settledAt.get() - startedAt) / 1_000_000;
            assertTrue(ms >= 290 && ms < 1000, "the timeout settled after " + ms + " ms");
            assertEquals(0, e.attempts());
            assertFalse(e.maybeDeleted());

            for (CompletableFuture<Void> f : slow) {
                f.get(WAIT_S, TimeUnit.SECONDS);
            }
        }
        assertTrue(mock.devices().contains("async-waiting"), "neither waiting call sent anything");
        assertEquals(busy, mock.log().size());
    }

    @Test
    void aClosedClientLetsItsCallsFinish() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-orphan");
        mock.script("async-orphan", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":200}]");
        Client client = mock.client().build();
        CompletableFuture<Void> f = client.deleteDeviceAsync("async-orphan");
        client.close();
        assertNull(f.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(1, mock.log().size());
    }

    /**
     * A library thread runs one call's stages after another's: an interrupt
     * a stage leaves set on it (the usual {@code Thread.currentThread().interrupt()}
     * after catching an InterruptedException) must not reach the stages of
     * the next, unrelated call, which would see a spurious
     * InterruptedException (or a blocking call's CancelledException). Pairs
     * of calls one after the other: the first stage sets the flag, the second
     * looks at it; at least one pair must have run on the same thread.
     */
    @Test
    void anInterruptLeftByAStageDoesNotReachTheNextCallsStages() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("async-interrupt-flag");
        try (Client client = mock.client().build()) {
            int sameThread = 0;
            // A stage attached to a future already complete runs on the
            // attaching thread, this one: only a library thread is
            // interrupted, or this thread would see its own flag.
            Thread test = Thread.currentThread();
            // Which library thread runs a completion, and whether the future
            // is complete before its stage is attached, is the machine's to
            // decide: pairs are tried until a few ran on one library thread
            // (each pair checked), not a fixed 20 that may hold none.
            for (int i = 0; i < 2000 && sameThread < 5; i++) {
                Thread first = client.getDeviceAsync("async-interrupt-flag").thenApply(d -> {
                    if (Thread.currentThread() != test) {
                        Thread.currentThread().interrupt();
                    }
                    return Thread.currentThread();
                }).get(WAIT_S, TimeUnit.SECONDS);
                Thread[] second = new Thread[1];
                boolean interrupted = client.getDeviceAsync("async-interrupt-flag").thenApply(d -> {
                    second[0] = Thread.currentThread();
                    return Thread.currentThread().isInterrupted();
                }).get(WAIT_S, TimeUnit.SECONDS);
                if (second[0] == first && first != test) {
                    sameThread++;
                }
                assertFalse(interrupted, "the next call's stage on " + second[0].getName() + " saw the interrupt");
            }
            assertTrue(sameThread > 0, "no two calls ran on the same library thread");
        }
    }
}
