package dev.mayfly.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mutated byte streams into the frame decoder: frames or a DecoderException, nothing else. */
class TransferFrameFuzzTest {
  @Test
  void decoderOnlyYieldsFramesOrDecoderExceptions() {
    Random rnd = new Random(20261126L);
    byte[][] valid = {
        {0, 0, 0, 1, TransferFrame.ACCEPT},
        {0, 0, 0, 9, TransferFrame.BEGIN, 0, 0, 0, 0, 0, 0, 1, 0},
        {0, 0, 0, 9, TransferFrame.HELLO, 0, 1, 0, 1, 'm', 0, 1, 't'},
        {0, 0, 0, 9, TransferFrame.DATA, 0, 0, 0, 0, 1, 2, 3, 4},
    };
    int frames = 0;
    int rejected = 0;
    for (int i = 0; i < 5_000; i++) {
      byte[] in;
      if (rnd.nextBoolean()) {
        in = new byte[rnd.nextInt(64)];
        rnd.nextBytes(in);
      } else {
        in = valid[rnd.nextInt(valid.length)].clone();
        for (int n = 1 + rnd.nextInt(3); n > 0; n--) in[rnd.nextInt(in.length)] = (byte) rnd.nextInt(256);
      }
      EmbeddedChannel ch = TransferFrameCodecTest.channel();
      try {
        ch.writeInbound(Unpooled.wrappedBuffer(in));
      } catch (DecoderException expected) {
        rejected++; // the only failure allowed
      } catch (Throwable t) {
        fail("case " + i + ": unexpected " + t, t);
      } finally {
        for (Object o; (o = ch.readInbound()) != null; ) {
          frames++;
          if (o instanceof TransferFrame.Data d) ReferenceCountUtil.release(d.chunk());
        }
        ch.finishAndReleaseAll();
      }
    }
    assertThat(frames).as("mutated inputs that still decode").isPositive();
    assertThat(rejected).as("inputs rejected").isPositive();
  }
}
