package dev.mayfly.migration.checkpoint;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked big-endian reader over a byte range. Every read checks the remaining length first
 * and throws a {@link CheckpointFormatException} naming the current part and the absolute offset.
 */
final class Cursor {
  private final byte[] buf;
  private int pos;
  private final int end;
  private final long base;
  private String part = "header";

  /** Reads {@code buf[from, end)}; {@code base} is added to positions in messages. */
  Cursor(byte[] buf, int from, int end, long base) {
    this.buf = buf;
    this.pos = from;
    this.end = end;
    this.base = base;
  }

  void part(String part) {
    this.part = part;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return end - pos;
  }

  CheckpointFormatException error(String message) {
    return new CheckpointFormatException(part, base + pos, message);
  }

  private void need(long n, String what) throws CheckpointFormatException {
    if (n > remaining()) {
      throw error("truncated: " + what + " needs " + n + " bytes, only " + remaining() + " left");
    }
  }

  int u8(String what) throws CheckpointFormatException {
    need(1, what);
    return buf[pos++] & 0xFF;
  }

  int u16(String what) throws CheckpointFormatException {
    need(2, what);
    int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  long u32(String what) throws CheckpointFormatException {
    need(4, what);
    long v = ((long) (buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16)
        | ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  long i64(String what) throws CheckpointFormatException {
    need(8, what);
    long v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | (buf[pos + i] & 0xFF);
    pos += 8;
    return v;
  }

  byte[] bytes(long n, String what) throws CheckpointFormatException {
    need(n, what);
    byte[] out = new byte[(int) n];
    System.arraycopy(buf, pos, out, 0, (int) n);
    pos += (int) n;
    return out;
  }

  String utf8(long n, String what) throws CheckpointFormatException {
    need(n, what);
    int at = pos;
    try {
      String s = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(buf, pos, (int) n))
          .toString();
      pos += (int) n;
      return s;
    } catch (CharacterCodingException e) {
      throw new CheckpointFormatException(part, base + at, what + " is not valid UTF-8");
    }
  }
}
