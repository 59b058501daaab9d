package io.github.engagelabpush;

/** EngageLab's data centers; a client talks to the one its app lives in. */
public enum Region {
    /** Singapore, the default. */
    SGP("sgp"),
    /** Virginia, USA. */
    USVA("usva"),
    /** Frankfurt, Germany. */
    DEFRA("defra"),
    /** Hong Kong. */
    HK("hk"),
    /** Japan. */
    JPN("jpn"),
    /** Brazil. */
    BRA("bra");

    private final String code;

    Region(String code) {
        this.code = code;
    }

    /** The short name the library and {@code ENGAGELAB_REGION} use, e.g. {@code "sgp"}. */
    public String code() {
        return code;
    }
}
