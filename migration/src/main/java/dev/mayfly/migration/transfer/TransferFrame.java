package dev.mayfly.migration.transfer;

import io.netty.buffer.ByteBuf;

/**
 * The frames of the transfer protocol (version {@value #PROTOCOL_VERSION}). On the wire every
 * frame is {@code u32 length, u8 type, body}, big-endian; see {@link TransferFrameCodec}.
 */
public sealed interface TransferFrame {
  int PROTOCOL_VERSION = 1;
  /** Payload bytes per DATA frame. */
  int CHUNK_BYTES = 256 * 1024;
  /** Largest frame body accepted (type + seq + one chunk, with room for HELLO/ERROR). */
  int MAX_FRAME_BYTES = CHUNK_BYTES + 64;
  int MAX_ID_BYTES = 255;
  int MAX_TOKEN_BYTES = 1024;
  int MAX_REASON_BYTES = 4096;

  byte HELLO = 1;
  byte ACCEPT = 2;
  byte DATA = 3;
  byte END = 4;
  byte DONE = 5;
  byte ERROR = 6;
  byte BEGIN = 7;

  /** Sender → receiver: which migration, and its token. */
  record Hello(int version, String migrationId, String token) implements TransferFrame {}

  /** Receiver → sender: id and token accepted; the checkpoint may follow (now or later). */
  record Accept() implements TransferFrame {}

  /** Sender → receiver: the checkpoint starts; this many bytes follow in DATA frames. */
  record Begin(long totalBytes) implements TransferFrame {}

  /**
   * Sender → receiver: chunk number {@code seq} (0, 1, 2, ...). The chunk buffer is owned by whoever
   * holds the frame: the encoder writes and releases it, the receiver copies and releases it.
   */
  record Data(int seq, ByteBuf chunk) implements TransferFrame {}

  /** Sender → receiver: all data sent; its size and CRC32C. */
  record End(long totalBytes, int crc32c) implements TransferFrame {}

  /**
   * Receiver → sender: received and verified {@code totalBytes}; for a live migration also
   * committed (imported into the target's guest), with the receiver's {@code report} (its
   * timings, e.g. {@code restore=0.81 move_traffic=0.01 resume=0.05}; empty otherwise).
   */
  record Done(long totalBytes, String report) implements TransferFrame {
    public Done {
      report = report == null ? "" : report;
    }

    public Done(long totalBytes) {
      this(totalBytes, "");
    }
  }

  /** Either side: the transfer is refused or aborted, with the reason. The connection closes. */
  record Error(String reason) implements TransferFrame {}
}
