package io.github.engagelabpush;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A failed call: the base of one subclass per category of the error model
 * ({@link NotFoundException}, {@link RateLimitedException}, ...,
 * {@link CancelledException}), so that callers can catch the categories they
 * handle and let the rest through. The category is decided by the Rust core,
 * never by this binding.
 *
 * <p>{@link #getMessage()} is a sentence a person can act on, the core's own
 * ({@code el_error_describe}); the fields carry the same facts for programs. No text of an exception ever contains the Master
 * Secret or the Authorization header.
 */
public class EngageLabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * The fields of a failed call, as the C ABI's {@code el_error} carries them,
     * and the sentence the core gives for that record ({@code el_error_describe}).
     */
    static final class Details {
        final String sentence;
        final String detail;
        final int httpStatus;
        final long apiCode;
        final int attempts;
        final long retryAfterMs;
        final boolean maybeDeleted;

        /**
         * @param httpStatus 0 for none
         * @param apiCode 0 for none
         * @param retryAfterMs 0 for none
         */
        Details(
                String sentence,
                String detail,
                int httpStatus,
                long apiCode,
                int attempts,
                long retryAfterMs,
                boolean maybeDeleted) {
            this.sentence = Objects.requireNonNull(sentence, "sentence");
            this.detail = Objects.requireNonNull(detail, "detail");
            this.httpStatus = httpStatus;
            this.apiCode = apiCode;
            this.attempts = attempts;
            this.retryAfterMs = retryAfterMs;
            this.maybeDeleted = maybeDeleted;
        }
    }

    private final Status status;
    private final String detail;
    private final int httpStatus;
    private final long apiCode;
    private final int attempts;
    private final long retryAfterMs;
    private final boolean maybeDeleted;

    EngageLabException(Status status, Details d) {
        super(d.sentence);
        this.status = Objects.requireNonNull(status, "status");
        this.detail = d.detail;
        this.httpStatus = d.httpStatus;
        this.apiCode = d.apiCode;
        this.attempts = d.attempts;
        this.retryAfterMs = d.retryAfterMs;
        this.maybeDeleted = d.maybeDeleted;
    }

    /** The category of the failure; every instance of a subclass reports that subclass's. */
    public Status status() {
        return status;
    }

    /** The HTTP status of the final attempt's answer; empty when no answer arrived. */
    public OptionalInt httpStatus() {
        return httpStatus == 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
    }

    /** EngageLab's {@code code} from the error body; empty when there was none. */
    public OptionalLong apiCode() {
        return apiCode == 0 ? OptionalLong.empty() : OptionalLong.of(apiCode);
    }

    /** How many requests were sent (1 + retries); 0 when the call was rejected before sending. */
    public int attempts() {
        return attempts;
    }

    /** For {@link RateLimitedException}, the server's hint how long to wait; else empty. */
    public Optional<Duration> retryAfter() {
        return retryAfterMs == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(retryAfterMs));
    }

    /**
     * Whether an attempt may already have deleted the device although the call
     * failed (a request was sent and its outcome is unknown): check the device
     * before acting on the failure.
     */
    public boolean maybeDeleted() {
        return maybeDeleted;
    }

    /**
     * What went wrong, without the category's wording around it: EngageLab's
     * message, else a short excerpt of the body, else a description of the local
     * failure (naming the argument for an {@link InvalidArgumentException}).
     */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return getClass().getName()
                + "[status=" + status
                + ", httpStatus=" + (httpStatus == 0 ? "none" : Integer.toString(httpStatus))
                + ", apiCode=" + (apiCode == 0 ? "none" : Long.toString(apiCode))
                + ", attempts=" + attempts
                + ", retryAfterMs=" + (retryAfterMs == 0 ? "none" : Long.toString(retryAfterMs))
                + ", maybeDeleted=" + maybeDeleted
                + "]: " + getMessage();
    }
}
