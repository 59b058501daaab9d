package io.github.engagelabpush;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@link Client#check()} found: whether the credentials were accepted,
 * where the calls went, the round trip, the server's clock, the answer to an
 * unknown id, and the differences from what the library assumes; {@link
 * #json()} holds every fact (the probes and rate-limit headers included).
 * Immutable, and a plain copy: it holds no native memory and no secret.
 */
public final class CheckReport {
    /** A difference from what the library assumes, with a stable code (e.g. {@code clock_skew}). */
    public record Finding(String code, String message) {
        public Finding {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }

    private final boolean credentialsAccepted;
    private final String baseUrl;
    private final String address;
    private final String tlsVersion;
    private final Duration rtt;
    private final Long clockSkewSeconds;
    private final int unknownDeviceHttpStatus;
    private final long unknownDeviceApiCode;
    private final List<Finding> findings;
    private final String json;

    CheckReport(
            boolean credentialsAccepted,
            String baseUrl,
            String address,
            String tlsVersion,
            Duration rtt,
            Long clockSkewSeconds,
            int unknownDeviceHttpStatus,
            long unknownDeviceApiCode,
            List<Finding> findings,
            String json) {
        this.credentialsAccepted = credentialsAccepted;
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.address = address;
        this.tlsVersion = tlsVersion;
        this.rtt = rtt;
        this.clockSkewSeconds = clockSkewSeconds;
        this.unknownDeviceHttpStatus = unknownDeviceHttpStatus;
        this.unknownDeviceApiCode = unknownDeviceApiCode;
        this.findings = List.copyOf(findings);
        this.json = Objects.requireNonNull(json, "json");
    }

    /**
     * Whether the credentials were accepted: no answer was {@code AUTH}, and
     * one came from EngageLab's API (a success, or an error with its code
     * that is not a busy server's or the rate limit's; else the
     * {@code not_the_api} or {@code api_unavailable} finding).
     */
    public boolean credentialsAccepted() {
        return credentialsAccepted;
    }

    /** The base URL the calls went to. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The address the requests went to (the proxy's through a proxy); empty when unknown. */
    public Optional<String> address() {
        return Optional.ofNullable(address);
    }

    /** The TLS version negotiated ({@code "TLS 1.3"}); empty over plain HTTP. */
    public Optional<String> tlsVersion() {
        return Optional.ofNullable(tlsVersion);
    }

    /** The median round trip of 5. */
    public Duration rtt() {
        return rtt;
    }

    /** The server's clock minus this machine's, in seconds; empty without a readable Date. */
    public OptionalLong clockSkewSeconds() {
        return clockSkewSeconds == null ? OptionalLong.empty() : OptionalLong.of(clockSkewSeconds);
    }

    /** The HTTP status of the answer to a registration id that cannot exist. */
    public int unknownDeviceHttpStatus() {
        return unknownDeviceHttpStatus;
    }

    /** EngageLab's code in that answer; 0 for none. */
    public long unknownDeviceApiCode() {
        return unknownDeviceApiCode;
    }

    /** The differences from what the library assumes; empty when none. Immutable. */
    public List<Finding> findings() {
        return findings;
    }

    /** Every fact as JSON text, as {@code engagelab-push check --json} prints it. */
    public String json() {
        return json;
    }

    @Override
    public String toString() {
        return "CheckReport{baseUrl=" + baseUrl + ", credentialsAccepted=" + credentialsAccepted
                + ", findings=" + findings.size() + "}";
    }
}
