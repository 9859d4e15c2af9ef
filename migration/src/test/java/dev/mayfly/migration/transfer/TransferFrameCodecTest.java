package dev.mayfly.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

/** The frame codec without sockets: encode on one EmbeddedChannel, decode on another. */
class TransferFrameCodecTest {

  static EmbeddedChannel channel() {
    return new EmbeddedChannel(new LengthFieldBasedFrameDecoder(TransferFrame.MAX_FRAME_BYTES, 0, 4, 0, 4),
        new TransferFrameCodec());
  }

  /** Encodes on one channel and feeds the bytes, split in 3-byte pieces, to another. */
  static TransferFrame roundTrip(TransferFrame f) {
    EmbeddedChannel out = channel();
    assertThat(out.writeOutbound(f)).isTrue();
    ByteBuf wire = Unpooled.buffer();
    for (Object o; (o = out.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      wire.writeBytes(b);
      b.release();
    }
    EmbeddedChannel in = channel();
    while (wire.isReadable()) in.writeInbound(wire.readRetainedSlice(Math.min(3, wire.readableBytes())));
    wire.release();
    TransferFrame got = in.readInbound();
    assertThat((Object) in.readInbound()).isNull();
    return got;
  }

  @Test
  void everyFrameRoundTrips() {
    assertThat(roundTrip(new TransferFrame.Hello(1, "mig-7", "tøken")))
        .isEqualTo(new TransferFrame.Hello(1, "mig-7", "tøken"));
    assertThat(roundTrip(new TransferFrame.Begin(123_456_789L))).isEqualTo(new TransferFrame.Begin(123_456_789L));
    assertThat(roundTrip(new TransferFrame.Accept())).isEqualTo(new TransferFrame.Accept());
    assertThat(roundTrip(new TransferFrame.End(99, 0xCAFEBABE))).isEqualTo(new TransferFrame.End(99, 0xCAFEBABE));
    assertThat(roundTrip(new TransferFrame.Done(99))).isEqualTo(new TransferFrame.Done(99));
    assertThat(roundTrip(new TransferFrame.Done(99, "restore=0.81 resume=0.05")))
        .isEqualTo(new TransferFrame.Done(99, "restore=0.81 resume=0.05"));
    assertThat(roundTrip(new TransferFrame.Error("refused: reasons"))).isEqualTo(new TransferFrame.Error("refused: reasons"));
    byte[] chunk = new byte[TransferFrame.CHUNK_BYTES];
    chunk[0] = 1;
    chunk[chunk.length - 1] = 2;
    TransferFrame.Data d = (TransferFrame.Data) roundTrip(new TransferFrame.Data(5, Unpooled.wrappedBuffer(chunk)));
    assertThat(d.seq()).isEqualTo(5);
    assertThat(ByteBufUtil.getBytes(d.chunk())).isEqualTo(chunk);
    d.chunk().release();
  }

  @Test
  void longReasonsAreShortenedToFit() {
    TransferFrame.Error e = (TransferFrame.Error) roundTrip(new TransferFrame.Error("x".repeat(10_000)));
    assertThat(e.reason().length()).isLessThanOrEqualTo(TransferFrame.MAX_REASON_BYTES).isPositive();
  }

  static ByteBuf frame(byte... body) {
    return Unpooled.buffer().writeInt(body.length).writeBytes(body);
  }

  @Test
  void malformedFramesAreRejectedWithTheFieldNamed() {
    assertThatThrownBy(() -> channel().writeInbound(frame((byte) 42)))
        .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("unknown frame type 42");
    assertThatThrownBy(() -> channel().writeInbound(frame(TransferFrame.END, (byte) 0, (byte) 1)))
        .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("END size and CRC");
    assertThatThrownBy(() -> channel().writeInbound(frame(TransferFrame.HELLO, (byte) 0, (byte) 1, (byte) 0x7F, (byte) 0)))
        .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("HELLO migration id is 32512 bytes");
    byte[] badUtf8 = {TransferFrame.ERROR, 0, 2, (byte) 0xC3, 0x28};
    assertThatThrownBy(() -> channel().writeInbound(frame(badUtf8)))
        .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("not valid UTF-8");
    assertThatThrownBy(() -> channel().writeInbound(frame(TransferFrame.ACCEPT, (byte) 9)))
        .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("trailing bytes");
    ByteBuf huge = Unpooled.buffer().writeInt(TransferFrame.MAX_FRAME_BYTES + 1).writeByte(TransferFrame.DATA);
    assertThatThrownBy(() -> channel().writeInbound(huge)).isInstanceOf(TooLongFrameException.class);
  }
}
