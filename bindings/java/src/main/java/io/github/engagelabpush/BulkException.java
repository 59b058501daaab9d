package io.github.engagelabpush;

/**
 * A bulk run the engine refused to start (nothing sent) or had to stop
 * ({@code WRITE_FAILED}: {@link #summary()} says what was done). Its cause
 * is the {@link EngageLabException} of the failure's category
 * ({@code INVALID_ARGUMENT}, or a failed lookup's own).
 */
public final class BulkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the run was refused or stopped ({@code el_bulk_error}). */
    public enum Kind {
        GUARD,
        DECLINED,
        JOURNAL_MISMATCH,
        IO,
        JOURNAL_BUSY,
        WRITE_FAILED,
        INVALID_ARGUMENT,
        LOOKUP,
        UNKNOWN
    }

    private final Kind kind;
    private final transient BulkSummary summary;

    BulkException(Kind kind, BulkSummary summary, EngageLabException cause) {
        super(cause.getMessage(), cause);
        this.kind = kind;
        this.summary = summary;
    }

    /** Why the run was refused or stopped. */
    public Kind kind() {
        return kind;
    }

    /** What the run did (zeros when nothing was sent). */
    public BulkSummary summary() {
        return summary;
    }

    /** The failure's category exception. */
    @Override
    public synchronized EngageLabException getCause() {
        return (EngageLabException) super.getCause();
    }
}
