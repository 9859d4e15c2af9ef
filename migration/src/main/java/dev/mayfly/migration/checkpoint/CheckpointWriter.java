package dev.mayfly.migration.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Encodes a {@link Checkpoint} as {@code MFCK} bytes, refusing results above the size cap. */
public final class CheckpointWriter {
  private final long maxBytes;

  public CheckpointWriter() {
    this(CheckpointFormat.DEFAULT_MAX_BYTES);
  }

  public CheckpointWriter(long maxBytes) {
    this.maxBytes = CheckpointFormat.checkCap(maxBytes);
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** The exact number of bytes {@link #write(Checkpoint)} produces. */
  public static long encodedSize(Checkpoint cp) {
    long n = headerBytes(cp.header()).length;
    for (Section s : cp.sections()) n += CheckpointFormat.SECTION_HEADER_BYTES + s.length();
    return n + 4;
  }

  /** Encodes into a new array. */
  public byte[] write(Checkpoint cp) throws CheckpointFormatException {
    long size = checkedSize(cp);
    ByteBuffer out = ByteBuffer.allocate((int) size);
    out.put(headerBytes(cp));
    for (Section s : cp.sections()) {
      out.putShort((short) s.type()).putShort((short) 0).putInt(s.length()).put(s.payloadUnsafe());
    }
    CRC32C crc = new CRC32C();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    return out.array();
  }

  /** Encodes onto a stream without copying section payloads; does not flush or close it. */
  public void write(Checkpoint cp, OutputStream out) throws IOException {
    checkedSize(cp);
    CRC32C crc = new CRC32C();
    byte[] head = headerBytes(cp);
    crc.update(head);
    out.write(head);
    byte[] sh = new byte[CheckpointFormat.SECTION_HEADER_BYTES];
    for (Section s : cp.sections()) {
      ByteBuffer.wrap(sh).putShort((short) s.type()).putShort((short) 0).putInt(s.length());
      crc.update(sh);
      out.write(sh);
      crc.update(s.payloadUnsafe());
      out.write(s.payloadUnsafe());
    }
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private long checkedSize(Checkpoint cp) throws CheckpointFormatException {
    if (cp.sections().size() > CheckpointFormat.MAX_SECTIONS) {
      throw new CheckpointFormatException("sections", -1,
          cp.sections().size() + " sections exceed the maximum of " + CheckpointFormat.MAX_SECTIONS);
    }
    long size = encodedSize(cp);
    if (size > maxBytes) {
      throw new CheckpointFormatException(null, -1,
          "encoded size " + size + " bytes exceeds the size cap of " + maxBytes + " bytes");
    }
    return size;
  }

  /** Prefix + header + section count, with the total length filled in. */
  private static byte[] headerBytes(CheckpointHeader h) {
    byte[] g = h.guestId().getBytes(StandardCharsets.UTF_8);
    byte[] t = h.nfType().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(CheckpointFormat.PREFIX_BYTES + 8 + 8 + 4 + 1 + g.length + 1 + t.length + 2);
    b.putInt(CheckpointFormat.MAGIC).putShort((short) CheckpointFormat.VERSION).putShort((short) 0);
    b.putLong(0); // total length, patched by headerBytes(Checkpoint)
    b.putLong(h.generation()).putLong(h.createdAt().toEpochMilli()).putInt(h.flags());
    b.put((byte) g.length).put(g).put((byte) t.length).put(t);
    b.putShort((short) 0); // section count, patched by headerBytes(Checkpoint)
    return b.array();
  }

  /** Header bytes with total length and section count. */
  private static byte[] headerBytes(Checkpoint cp) {
    byte[] head = headerBytes(cp.header());
    long total = head.length + 4L;
    for (Section s : cp.sections()) total += CheckpointFormat.SECTION_HEADER_BYTES + s.length();
    ByteBuffer.wrap(head).putLong(8, total).putShort(head.length - 2, (short) cp.sections().size());
    return head;
  }
}
