package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Java's way to cancel a blocking call, {@link Thread#interrupt()}, cancels
 * {@code deleteDevice} and {@code getAlias} at once, mid-request included,
 * with {@link CancelledException} and the interrupt flag left set.
 */
class InterruptTest {
    /**
     * How soon after the interrupt a call must return: the answers are due
     * 3 s after the request, so returning well before that means the
     * interrupt stopped the call, on however busy a machine. (How fast is a
     * benchmark's figure, not a test's.)
     */
    private static final long LIMIT_MS = 1000;

    @Test
    void anInterruptedThreadSendsNothing() {
        Mock mock = Mock.shared();
        mock.addDevice("dev-1");
        try (Client client = mock.client().build()) {
            Thread.currentThread().interrupt();
            try {
                CancelledException e = assertThrows(CancelledException.class, () -> client.deleteDevice("dev-1"));
                assertEquals(Status.CANCELLED, e.status());
                assertEquals(0, e.attempts());
                assertEquals(false, e.maybeDeleted());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag stays set");
            } finally {
                Thread.interrupted();
            }
            client.deleteDevice("dev-1"); // the client works on once the flag is cleared
        }
        assertEquals(1, mock.log().size(), "only the second call sent a request");
    }

    @Test
    void anInterruptedThreadResolvesNothing() {
        Mock mock = Mock.shared();
        try (Client client = mock.client().build()) {
            Thread.currentThread().interrupt();
            try {
                CancelledException e = assertThrows(CancelledException.class, () -> client.getAlias("user-1", "ios"));
                assertEquals(Status.CANCELLED, e.status());
                assertEquals(0, e.attempts());
                assertEquals(false, e.maybeDeleted());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag stays set");
            } finally {
                Thread.interrupted();
            }
            assertEquals(List.of(), client.getAlias("user-1")); // works on once the flag is cleared
        }
        assertEquals(1, mock.log().size(), "only the second call sent a request");
    }

    /** Runs {@code deleteDevice(id)} on a thread, interrupts it once the mock logged its request. */
    private static Outcome interruptOnceSent(Mock mock, Client client, String id) throws InterruptedException {
        return interruptOnceSent(mock, "/v4/devices/" + id, () -> client.deleteDevice(id));
    }

    /**
     * Runs {@code call} on a thread, interrupts it once the mock has logged
     * a request whose target starts with {@code path} (it logs on arrival, before any scripted
     * delay: the request is on the wire as a fact, not after a sleep), and
     * returns what happened.
     */
    private static Outcome interruptOnceSent(Mock mock, String path, Runnable call) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicLong returnedAt = new AtomicLong();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (Throwable e) {
                thrown.set(e);
            } finally {
                returnedAt.set(System.nanoTime());
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (mock.log().stream().noneMatch(r -> r.get("path").asText().startsWith(path))
                && System.nanoTime() < giveUp) {
            Thread.sleep(5);
        }
        long interruptedAt = System.nanoTime();
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(10));
        return new Outcome(thrown.get(), (returnedAt.get() - interruptedAt) / 1_000_000, Boolean.TRUE.equals(flag.get()));
    }

    record Outcome(Throwable thrown, long msAfterInterrupt, boolean flagSet) {}

    @Test
    void anInterruptCancelsACallWaitingForASlowAnswer() throws Exception {
        Mock mock = Mock.shared();
        mock.script("slow", "[{\"status\":200,\"delay_ms\":3000}]");
        try (Client client = mock.client().build()) {
            Outcome o = interruptOnceSent(mock, client, "slow");
            CancelledException e = assertInstanceOf(CancelledException.class, o.thrown());
            assertTrue(o.msAfterInterrupt() <= LIMIT_MS,
                    "returned " + o.msAfterInterrupt() + " ms after the interrupt, over " + LIMIT_MS + " ms");
            assertTrue(o.flagSet(), "the interrupt flag stays set");
            assertEquals(1, e.attempts());
            assertTrue(e.maybeDeleted(), "the request was written: the outcome is unknown");
        }
    }

    @Test
    void anInterruptCancelsAnAliasLookupWaitingForASlowAnswer() throws Exception {
        Mock mock = Mock.shared();
        mock.scriptAlias("slow-user", "[{\"status\":200,\"body\":\"{\\\"registration_ids\\\":[]}\",\"delay_ms\":3000}]");
        try (Client client = mock.client().build()) {
            Outcome o = interruptOnceSent(mock, "/v4/aliases/slow-user", () -> client.getAlias("slow-user", "android"));
            CancelledException e = assertInstanceOf(CancelledException.class, o.thrown());
            assertTrue(o.msAfterInterrupt() <= LIMIT_MS,
                    "returned " + o.msAfterInterrupt() + " ms after the interrupt, over " + LIMIT_MS + " ms");
            assertTrue(o.flagSet(), "the interrupt flag stays set");
            assertEquals(1, e.attempts());
            assertEquals(false, e.maybeDeleted(), "a lookup deletes nothing");
        }
        assertEquals(1, mock.log().size());
    }

    @Test
    void anInterruptCancelsAWaitBeforeARetry() throws Exception {
        Mock mock = Mock.shared();
        mock.script("busy", "[{\"status\":503,\"headers\":{\"Retry-After\":\"3\"}},{\"status\":200}]");
        try (Client client = mock.client().maxRetries(1).maxRetryAfter(Duration.ofSeconds(10)).build()) {
            Outcome o = interruptOnceSent(mock, client, "busy");
            assertInstanceOf(CancelledException.class, o.thrown());
            assertTrue(o.msAfterInterrupt() <= LIMIT_MS, "returned " + o.msAfterInterrupt() + " ms after the interrupt");
            assertTrue(o.flagSet());
        }
        assertEquals(1, mock.log().size(), "no retry was sent after the interrupt");
    }

    @Test
    void interruptsReachOnlyTheirOwnThread() throws Exception {
        Mock mock = Mock.shared();
        mock.script("slow-a", "[{\"status\":200,\"delay_ms\":3000}]");
        mock.script("slow-b", "[{\"status\":200,\"delay_ms\":600}]");
        try (Client client = mock.client().build()) {
            AtomicReference<Throwable> other = new AtomicReference<>();
            Thread b = new Thread(() -> {
                try {
                    client.deleteDevice("slow-b");
                } catch (Throwable e) {
                    other.set(e);
                }
            });
            b.start();
            Outcome o = interruptOnceSent(mock, client, "slow-a");
            assertInstanceOf(CancelledException.class, o.thrown());
            b.join(5000);
            assertEquals(null, other.get(), "the other thread's call was not cancelled");
        }
        assertEquals(List.of("/v4/devices/slow-a", "/v4/devices/slow-b"),
                mock.log().stream().map(r -> r.get("path").asText()).sorted().toList());
    }
}
