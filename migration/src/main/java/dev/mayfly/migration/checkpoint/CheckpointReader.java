package dev.mayfly.migration.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Decodes and verifies {@code MFCK} checkpoints from byte arrays or streams.
 *
 * <p>Guarantees: any input either decodes to a {@link Checkpoint} whose CRC32C matched, or ends
 * in a {@link CheckpointFormatException} naming the part and offset. No allocation is larger than
 * the size cap, and on streams no allocation is larger than twice the bytes actually received
 * (the buffer grows as data arrives), so a lying length field cannot cause an
 * {@link OutOfMemoryError}. Reading a byte array never blocks; reading a stream blocks only as
 * long as the stream does (put a timeout on the socket).
 */
public final class CheckpointReader {
  private static final int INITIAL_STREAM_BUFFER = 64 * 1024;

  private final long maxBytes;

  public CheckpointReader() {
    this(CheckpointFormat.DEFAULT_MAX_BYTES);
  }

  public CheckpointReader(long maxBytes) {
    this.maxBytes = CheckpointFormat.checkCap(maxBytes);
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Decodes exactly one checkpoint occupying the whole array. */
  public Checkpoint read(byte[] data) throws CheckpointFormatException {
    long total = checkPrefix(data, data.length);
    if (total != data.length) {
      throw new CheckpointFormatException("header", 8, "declared total length " + total
          + " does not match the " + data.length + " bytes given"
          + (total > data.length ? " (truncated)" : " (trailing bytes)"));
    }
    return parse(data);
  }

  /**
   * Reads exactly one checkpoint from the stream (the declared total length), leaving the stream
   * positioned after it. Does not close the stream.
   */
  public Checkpoint read(InputStream in) throws IOException {
    return parse(readBytes(in));
  }

  /**
   * Reads the bytes of one checkpoint from the stream, checking magic, version and the size cap
   * before buffering, but without decoding the sections. Use {@link #read(byte[])} to verify them.
   */
  public byte[] readBytes(InputStream in) throws IOException {
    byte[] prefix = new byte[CheckpointFormat.PREFIX_BYTES];
    int got = readFully(in, prefix, 0, prefix.length);
    if (got < prefix.length) {
      if (got >= 4) checkMagic(prefix);
      throw new CheckpointFormatException("header", got,
          "truncated: stream ended after " + got + " of the " + prefix.length + " prefix bytes");
    }
    long total = checkPrefix(prefix, Long.MAX_VALUE);
    int size = (int) total;
    byte[] buf = Arrays.copyOf(prefix, Math.min(size, INITIAL_STREAM_BUFFER));
    int pos = prefix.length;
    while (pos < size) {
      if (pos == buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, size));
      }
      int n = in.read(buf, pos, buf.length - pos);
      if (n < 0) {
        throw new CheckpointFormatException(null, pos,
            "truncated: stream ended after " + pos + " of the declared " + total + " bytes");
      }
      pos += n;
    }
    return buf;
  }

  private static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    int done = 0;
    while (done < len) {
      int n = in.read(b, off + done, len - done);
      if (n < 0) break;
      done += n;
    }
    return done;
  }

  private static void checkMagic(byte[] p) throws CheckpointFormatException {
    int magic = ((p[0] & 0xFF) << 24) | ((p[1] & 0xFF) << 16) | ((p[2] & 0xFF) << 8) | (p[3] & 0xFF);
    if (magic != CheckpointFormat.MAGIC) {
      throw new CheckpointFormatException("header", 0,
          String.format("bad magic 0x%08X, expected 0x%08X (\"MFCK\")", magic, CheckpointFormat.MAGIC));
    }
  }

  /** Checks magic, version, reserved bits and total length; returns the total length. */
  private long checkPrefix(byte[] p, long available) throws CheckpointFormatException {
    if (p.length < 4) {
      throw new CheckpointFormatException("header", 0,
          "truncated: " + p.length + " bytes, a checkpoint has at least " + CheckpointFormat.MIN_BYTES);
    }
    checkMagic(p);
    Cursor c = new Cursor(p, 4, Math.min(p.length, CheckpointFormat.PREFIX_BYTES), 0);
    int version = c.u16("format version");
    if (version != CheckpointFormat.VERSION) {
      throw new CheckpointFormatException("header", 4,
          "unsupported format version " + version + ", this reader supports " + CheckpointFormat.VERSION);
    }
    int reserved = c.u16("reserved field");
    if (reserved != 0) {
      throw new CheckpointFormatException("header", 6, "reserved field must be 0, got " + reserved);
    }
    long total = c.i64("total length");
    if (total < CheckpointFormat.MIN_BYTES) {
      throw new CheckpointFormatException("header", 8,
          "declared total length " + total + " is below the minimum of " + CheckpointFormat.MIN_BYTES);
    }
    if (total > maxBytes) {
      throw new CheckpointFormatException("header", 8,
          "declared total length " + total + " exceeds the size cap of " + maxBytes + " bytes");
    }
    return total;
  }

  /** Decodes a buffer whose prefix has been checked and whose length equals the declared total. */
  private Checkpoint parse(byte[] data) throws CheckpointFormatException {
    int crcAt = data.length - 4;
    Cursor c = new Cursor(data, CheckpointFormat.PREFIX_BYTES, crcAt, 0);
    long generation = c.i64("generation");
    if (generation < 0) throw c.error("generation " + generation + " is negative");
    long createdAtMs = c.i64("created-at");
    Instant createdAt;
    try {
      createdAt = Instant.ofEpochMilli(createdAtMs);
    } catch (RuntimeException e) {
      throw c.error("created-at " + createdAtMs + " is out of range");
    }
    int flags = (int) c.u32("flags");
    int gl = c.u8("guest id length");
    if (gl == 0) throw c.error("guest id is empty");
    String guestId = c.utf8(gl, "guest id");
    int tl = c.u8("nf type length");
    if (tl == 0) throw c.error("nf type is empty");
    String nfType = c.utf8(tl, "nf type");
    int count = c.u16("section count");
    if (count > CheckpointFormat.MAX_SECTIONS) {
      throw c.error("section count " + count + " exceeds the maximum of " + CheckpointFormat.MAX_SECTIONS);
    }
    List<Section> sections = new ArrayList<>(count);
    boolean[] seen = new boolean[4];
    for (int i = 0; i < count; i++) {
      c.part("section " + i);
      int type = c.u16("section type");
      if (type == 0) throw c.error("section type 0 is not allowed");
      String part = "section " + i + " (" + SectionType.name(type) + ")";
      c.part(part);
      int reserved = c.u16("reserved field");
      if (reserved != 0) throw c.error("reserved field must be 0, got " + reserved);
      long len = c.u32("payload length");
      if (len > c.remaining()) {
        throw c.error("payload length " + len + " exceeds the " + c.remaining()
            + " bytes left before the checksum");
      }
      int payloadAt = c.position();
      byte[] payload = c.bytes(len, "payload");
      if (SectionType.isKnown(type)) {
        if (seen[type]) throw new CheckpointFormatException(part, payloadAt, "duplicate " + SectionType.name(type) + " section");
        seen[type] = true;
        if (type == SectionType.CONFIG) {
          new Cursor(payload, 0, payload.length, payloadAt).utf8(len, part + " Click configuration text");
        } else if (type == SectionType.METADATA) {
          Metadata.decode(payload, part, payloadAt);
        }
      }
      sections.add(Section.wrap(type, payload));
    }
    if (c.remaining() != 0) {
      c.part("trailer");
      throw c.error(c.remaining() + " unexpected bytes after the last section (" + count + " sections declared)");
    }
    long stored = new Cursor(data, crcAt, data.length, 0).u32("checksum");
    CRC32C crc = new CRC32C();
    crc.update(data, 0, crcAt);
    if (crc.getValue() != stored) {
      throw new CheckpointFormatException("trailer", crcAt, String.format(
          "CRC32C mismatch: stored 0x%08X, computed 0x%08X over %d bytes (corrupted checkpoint)",
          stored, crc.getValue(), crcAt));
    }
    return new Checkpoint(new CheckpointHeader(guestId, generation, nfType, createdAt, flags), sections);
  }
}
