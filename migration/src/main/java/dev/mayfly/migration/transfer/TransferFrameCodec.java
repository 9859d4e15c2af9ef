package dev.mayfly.migration.transfer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageCodec;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes {@link TransferFrame}s with their {@code u32} length prefix (DATA chunks are written
 * without copying), and decodes frame bodies split off by a {@code LengthFieldBasedFrameDecoder}
 * placed before it (see {@link TransferPipeline}). Malformed bodies raise a
 * {@link CorruptedFrameException} naming the frame and field.
 */
public final class TransferFrameCodec extends MessageToMessageCodec<ByteBuf, TransferFrame> {

  @Override
  protected void encode(ChannelHandlerContext ctx, TransferFrame frame, List<Object> out) {
    if (frame instanceof TransferFrame.Data d) {
      ByteBuf head = ctx.alloc().buffer(9);
      head.writeInt(1 + 4 + d.chunk().readableBytes()).writeByte(TransferFrame.DATA).writeInt(d.seq());
      out.add(head);
      out.add(d.chunk()); // ownership passes on
      return;
    }
    ByteBuf buf = ctx.alloc().buffer();
    try {
      encodeInto(frame, buf);
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    out.add(buf);
  }

  private static void encodeInto(TransferFrame frame, ByteBuf buf) {
    buf.writeInt(0); // length, patched below
    if (frame instanceof TransferFrame.Hello h) {
      buf.writeByte(TransferFrame.HELLO).writeShort(h.version());
      writeString(buf, h.migrationId(), TransferFrame.MAX_ID_BYTES, "migration id");
      writeString(buf, h.token(), TransferFrame.MAX_TOKEN_BYTES, "token");
    } else if (frame instanceof TransferFrame.Accept) {
      buf.writeByte(TransferFrame.ACCEPT);
    } else if (frame instanceof TransferFrame.Begin b) {
      buf.writeByte(TransferFrame.BEGIN).writeLong(b.totalBytes());
    } else if (frame instanceof TransferFrame.End e) {
      buf.writeByte(TransferFrame.END).writeLong(e.totalBytes()).writeInt(e.crc32c());
    } else if (frame instanceof TransferFrame.Done d) {
      buf.writeByte(TransferFrame.DONE).writeLong(d.totalBytes());
      if (!d.report().isEmpty()) {
        writeString(buf, d.report(), TransferFrame.MAX_REASON_BYTES, "report");
      }
    } else if (frame instanceof TransferFrame.Error e) {
      buf.writeByte(TransferFrame.ERROR);
      String reason = e.reason() == null ? "unknown" : e.reason();
      while (reason.getBytes(StandardCharsets.UTF_8).length > TransferFrame.MAX_REASON_BYTES) {
        reason = reason.substring(0, reason.length() / 2);
      }
      writeString(buf, reason, TransferFrame.MAX_REASON_BYTES, "reason");
    } else {
      throw new IllegalArgumentException("unknown frame " + frame);
    }
    buf.setInt(0, buf.readableBytes() - 4);
  }

  private static void writeString(ByteBuf buf, String s, int max, String what) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > max) throw new IllegalArgumentException(what + " is " + b.length + " bytes, max " + max);
    buf.writeShort(b.length).writeBytes(b);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) throw new CorruptedFrameException("empty frame");
    byte type = in.readByte();
    TransferFrame frame = switch (type) {
      case TransferFrame.HELLO -> {
        need(in, 2, "HELLO version");
        int version = in.readUnsignedShort();
        String id = readString(in, TransferFrame.MAX_ID_BYTES, "HELLO migration id");
        String token = readString(in, TransferFrame.MAX_TOKEN_BYTES, "HELLO token");
        yield new TransferFrame.Hello(version, id, token);
      }
      case TransferFrame.ACCEPT -> new TransferFrame.Accept();
      case TransferFrame.BEGIN -> {
        need(in, 8, "BEGIN total bytes");
        yield new TransferFrame.Begin(in.readLong());
      }
      case TransferFrame.DATA -> {
        need(in, 4, "DATA sequence number");
        int seq = in.readInt();
        yield new TransferFrame.Data(seq, in.readRetainedSlice(in.readableBytes()));
      }
      case TransferFrame.END -> {
        need(in, 12, "END size and CRC");
        yield new TransferFrame.End(in.readLong(), in.readInt());
      }
      case TransferFrame.DONE -> {
        need(in, 8, "DONE size");
        long n = in.readLong();
        yield new TransferFrame.Done(n, in.isReadable() ? readString(in, TransferFrame.MAX_REASON_BYTES, "DONE report") : "");
      }
      case TransferFrame.ERROR -> new TransferFrame.Error(readString(in, TransferFrame.MAX_REASON_BYTES, "ERROR reason"));
      default -> throw new CorruptedFrameException("unknown frame type " + type);
    };
    if (in.isReadable() && !(frame instanceof TransferFrame.Data)) {
      throw new CorruptedFrameException(in.readableBytes() + " trailing bytes in frame type " + type);
    }
    out.add(frame);
  }

  private static void need(ByteBuf in, int n, String what) {
    if (in.readableBytes() < n) {
      throw new CorruptedFrameException("truncated frame: " + what + " needs " + n + " bytes, " + in.readableBytes() + " left");
    }
  }

  private static String readString(ByteBuf in, int max, String what) {
    need(in, 2, what + " length");
    int n = in.readUnsignedShort();
    if (n > max) throw new CorruptedFrameException(what + " is " + n + " bytes, max " + max);
    need(in, n, what);
    byte[] b = new byte[n];
    in.readBytes(b);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw new CorruptedFrameException(what + " is not valid UTF-8");
    }
  }
}
