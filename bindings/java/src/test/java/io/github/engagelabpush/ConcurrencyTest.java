package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads share one client: every call (deleteDevice, getAlias) gets its
 * own answer, and close() is safe meanwhile.
 */
class ConcurrencyTest {
    private static final int THREADS = 16;
    private static final int CALLS = 100;

    @Test
    void manyThreadsShareOneClient() throws Exception {
        Mock mock = Mock.shared();
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < CALLS; i += 2) {
                mock.addDevice("dev-" + t + "-" + i);
            }
        }
        AtomicInteger deleted = new AtomicInteger();
        AtomicInteger unknown = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try (Client client = mock.client().build()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < CALLS; i++) {
                        String id = "dev-" + thread + "-" + i;
                        if (i % 2 == 0) {
                            client.deleteDevice(id);
                            deleted.incrementAndGet();
                        } else {
                            // Odd ids were never seeded: each call gets its own error.
                            NotFoundException e = assertThrows(NotFoundException.class, () -> client.deleteDevice(id));
                            assertEquals(400, e.httpStatus().getAsInt());
                            unknown.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(THREADS * CALLS / 2, deleted.get());
        assertEquals(THREADS * CALLS / 2, unknown.get());
        assertEquals(List.of(), mock.devices());
        assertEquals(THREADS * CALLS, mock.log().size());
    }

    @Test
    void manyThreadsResolveAliasesOnOneClient() throws Exception {
        Mock mock = Mock.shared();
        for (int t = 0; t < THREADS; t++) {
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"u" + t + "-android\",\"alias\":\"user-" + t
                    + "\",\"platform\":\"android\"}"));
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"u" + t + "-ios\",\"alias\":\"user-" + t
                    + "\",\"platform\":\"ios\"}"));
        }
        AtomicInteger answers = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try (Client client = mock.client().build()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String user = "user-" + t;
                String prefix = "u" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < CALLS; i++) {
                        // Each call gets its own answer: this thread's user's
                        // devices, narrowed as asked, or none for an unknown user.
                        switch (i % 3) {
                            case 0 -> assertEquals(List.of(prefix + "-android", prefix + "-ios"), client.getAlias(user));
                            case 1 -> assertEquals(List.of(prefix + "-ios"), client.getAlias(user, "ios"));
                            default -> assertEquals(List.of(), client.getAlias(user + "-unknown"));
                        }
                        answers.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(THREADS * CALLS, answers.get());
        assertEquals(THREADS * CALLS, mock.log().size());
        assertEquals(2 * THREADS, mock.devices().size(), "resolving deletes nothing");
    }

    @Test
    void closeRacingManyCallsNeverCrashes() throws Exception {
        Mock mock = Mock.shared();
        mock.config("{\"unknown_device\":{\"status\":200}}");
        for (int round = 0; round < 20; round++) {
            Client client = mock.client().build();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger closed = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        try {
                            client.deleteDevice("d");
                            ok.incrementAndGet();
                        } catch (IllegalStateException e) {
                            closed.incrementAndGet();
                        }
                    }
                }));
            }
            Thread.sleep(round % 5);
            client.close();
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            assertEquals(8 * 50, ok.get() + closed.get());
        }
    }
}
