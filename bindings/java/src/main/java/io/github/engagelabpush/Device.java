package io.github.engagelabpush;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A device as EngageLab reports it, from {@link Client#getDevice(String)}: the
 * tags and alias bound to a registration id, and the whole answer as JSON text.
 * Immutable, and a plain copy: it holds no native memory.
 */
public final class Device {
    private final String registrationId;
    private final List<String> tags;
    private final String alias;
    private final String rawJson;

    Device(String registrationId, List<String> tags, String alias, String rawJson) {
        this.registrationId = Objects.requireNonNull(registrationId, "registrationId");
        this.tags = List.copyOf(tags);
        this.alias = alias;
        this.rawJson = Objects.requireNonNull(rawJson, "rawJson");
    }

    /** The registration id that was queried. */
    public String registrationId() {
        return registrationId;
    }

    /** The tags bound to the device, in EngageLab's order; an empty list when none. Immutable. */
    public List<String> tags() {
        return tags;
    }

    /**
     * The alias bound to the device; empty when it has none (the answer's
     * {@code alias} missing or null). An empty alias is {@code Optional.of("")}.
     */
    public Optional<String> alias() {
        return Optional.ofNullable(alias);
    }

    /**
     * The whole answer, unknown fields included, exactly as EngageLab sent it
     * (one JSON object, at most 64 KiB): keep it as a backup before deleting.
     */
    public String rawJson() {
        return rawJson;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d
                && registrationId.equals(d.registrationId)
                && tags.equals(d.tags)
                && Objects.equals(alias, d.alias)
                && rawJson.equals(d.rawJson);
    }

    @Override
    public int hashCode() {
        return Objects.hash(registrationId, tags, alias, rawJson);
    }

    @Override
    public String toString() {
        return "Device[registrationId=" + registrationId + ", tags=" + tags + ", alias="
                + (alias == null ? "none" : alias) + "]";
    }
}
