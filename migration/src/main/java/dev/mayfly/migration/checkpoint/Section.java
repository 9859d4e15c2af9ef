package dev.mayfly.migration.checkpoint;

import java.util.Arrays;
import java.util.Objects;

/**
 * One typed, length-prefixed section of a checkpoint. The payload array is owned by the section:
 * it is copied on the way in and on the way out of the public accessor.
 */
public final class Section {
  private final int type;
  private final byte[] payload;

  private Section(int type, byte[] payload, boolean copy) {
    if (type < 1 || type > 0xFFFF) {
      throw new IllegalArgumentException("section type must be 1..65535, got " + type);
    }
    Objects.requireNonNull(payload, "payload");
    this.type = type;
    this.payload = copy ? payload.clone() : payload;
  }

  public static Section of(int type, byte[] payload) {
    return new Section(type, payload, true);
  }

  /** Package-private: wraps without copying (reader and writer internals only). */
  static Section wrap(int type, byte[] payload) {
    return new Section(type, payload, false);
  }

  public int type() {
    return type;
  }

  public String typeName() {
    return SectionType.name(type);
  }

  public byte[] payload() {
    return payload.clone();
  }

  public int length() {
    return payload.length;
  }

  byte[] payloadUnsafe() {
    return payload;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Section s && s.type == type && Arrays.equals(s.payload, payload);
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "Section[" + typeName() + ", " + payload.length + " bytes]";
  }
}
