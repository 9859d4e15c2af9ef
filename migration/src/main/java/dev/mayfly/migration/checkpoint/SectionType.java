package dev.mayfly.migration.checkpoint;

/**
 * Section type codes of the {@code MFCK} format. Codes are stable on the wire; readers keep
 * sections with codes they do not know as opaque {@link Section}s (forward compatibility),
 * so a newer writer can add optional sections without a format version bump.
 */
public final class SectionType {
  /** The Click configuration text, UTF-8. */
  public static final int CONFIG = 1;
  /** The opaque element-state blob the guest runtime wrote (flow tables, counters, buckets). */
  public static final int ELEMENT_STATE = 2;
  /** Key/value metadata (subscriber id, counters, source node, ...), see {@link Checkpoint#metadata()}. */
  public static final int METADATA = 3;

  private SectionType() {}

  /** A readable name for messages: {@code CONFIG}, {@code ELEMENT_STATE}, {@code METADATA} or {@code TYPE_<n>}. */
  public static String name(int type) {
    return switch (type) {
      case CONFIG -> "CONFIG";
      case ELEMENT_STATE -> "ELEMENT_STATE";
      case METADATA -> "METADATA";
      default -> "TYPE_" + type;
    };
  }

  /** Whether the reader gives this type a meaning (and so rejects duplicates of it). */
  public static boolean isKnown(int type) {
    return type == CONFIG || type == ELEMENT_STATE || type == METADATA;
  }
}
