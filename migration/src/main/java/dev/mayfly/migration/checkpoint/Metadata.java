package dev.mayfly.migration.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encoding of the METADATA section: {@code u32 count}, then per entry {@code u16 keyLen, key,
 * u32 valueLen, value} (UTF-8, big-endian lengths), keys strictly ascending and unique.
 */
final class Metadata {
  static final int MAX_ENTRIES = 65_536;
  static final int MAX_KEY_BYTES = 255;

  private Metadata() {}

  static byte[] encode(TreeMap<String, String> entries) {
    if (entries.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("metadata has " + entries.size() + " entries, max " + MAX_ENTRIES);
    }
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bos)) {
      out.writeInt(entries.size());
      for (Map.Entry<String, String> e : entries.entrySet()) {
        byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
        byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
        if (k.length < 1 || k.length > MAX_KEY_BYTES) {
          throw new IllegalArgumentException("metadata key '" + e.getKey() + "' must be 1.." + MAX_KEY_BYTES + " UTF-8 bytes");
        }
        out.writeShort(k.length);
        out.write(k);
        out.writeInt(v.length);
        out.write(v);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  /** Decodes a METADATA payload; {@code base} is the payload's offset in the checkpoint, for messages. */
  static Map<String, String> decode(byte[] p, String part, long base) throws CheckpointFormatException {
    Cursor c = new Cursor(p, 0, p.length, base);
    c.part(part);
    long count = c.u32("metadata entry count");
    if (count > MAX_ENTRIES) {
      throw c.error("metadata entry count " + count + " exceeds max " + MAX_ENTRIES);
    }
    TreeMap<String, String> out = new TreeMap<>();
    String prev = null;
    for (long i = 0; i < count; i++) {
      int kl = c.u16("metadata key length (entry " + i + ")");
      if (kl < 1 || kl > MAX_KEY_BYTES) {
        throw c.error("metadata key length " + kl + " of entry " + i + " is not in 1.." + MAX_KEY_BYTES);
      }
      String key = c.utf8(kl, "metadata key (entry " + i + ")");
      long vl = c.u32("metadata value length (entry " + i + ")");
      String value = c.utf8(vl, "metadata value of '" + key + "'");
      if (prev != null && key.compareTo(prev) <= 0) {
        throw c.error("metadata key '" + key + "' is duplicate or out of order (after '" + prev + "')");
      }
      prev = key;
      out.put(key, value);
    }
    if (c.remaining() != 0) {
      throw c.error(c.remaining() + " trailing bytes after " + count + " metadata entries");
    }
    return java.util.Collections.unmodifiableMap(out);
  }

}
