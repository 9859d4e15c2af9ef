package dev.mayfly.migration.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of the reader: every mutated or truncated checkpoint must either decode
 * or fail with {@link CheckpointFormatException} (never another exception, an OOM or a hang).
 */
class CheckpointFuzzTest {
  private static final long SEED = 0x6D61796679L;
  private static final int CASES = 10_000;

  @Test
  void mutatedCheckpointsFailOnlyWithCheckpointFormatException() throws Exception {
    Random rnd = new Random(SEED);
    CheckpointWriter writer = new CheckpointWriter(1 << 20);
    CheckpointReader reader = new CheckpointReader(1 << 20);
    byte[][] seeds = new byte[8][];
    for (int i = 0; i < seeds.length; i++) seeds[i] = writer.write(randomCheckpoint(rnd));

    int decoded = 0;
    int rejected = 0;
    for (int i = 0; i < CASES; i++) {
      byte[] base = seeds[rnd.nextInt(seeds.length)];
      byte[] input = mutate(base, rnd);
      for (boolean stream : new boolean[] {false, true}) {
        try {
          Checkpoint cp = stream ? reader.read(new SlowStream(input, rnd.nextLong())) : reader.read(input);
          assertThat(cp.header().guestId()).isNotEmpty();
          decoded++;
        } catch (CheckpointFormatException e) {
          assertThat(e.getMessage()).startsWith("invalid checkpoint: ");
          rejected++;
        } catch (Throwable t) {
          fail("case " + i + (stream ? " (stream)" : " (array)") + ": unexpected " + t, t);
        }
      }
    }
    // Unmutated copies (op 0 with zero flips never happens) are rare; nearly everything is rejected.
    assertThat(rejected).isGreaterThan(CASES);
    assertThat(decoded + rejected).isEqualTo(2 * CASES);
  }

  static Checkpoint randomCheckpoint(Random rnd) {
    byte[] state = new byte[rnd.nextInt(4096)];
    rnd.nextBytes(state);
    Map<String, String> meta = new HashMap<>();
    for (int i = rnd.nextInt(5); i > 0; i--) meta.put("k" + rnd.nextInt(1000), "v" + rnd.nextLong());
    Checkpoint.Builder b = Checkpoint.builder("guest-" + rnd.nextInt(100), rnd.nextInt(10), "personal-firewall")
        .config("src :: FromDevice(access);\n".repeat(1 + rnd.nextInt(20)))
        .elementState(state)
        .metadata(meta);
    if (rnd.nextBoolean()) b.section(100 + rnd.nextInt(100), new byte[rnd.nextInt(64)]);
    return b.build();
  }

  static byte[] mutate(byte[] base, Random rnd) {
    byte[] b = base.clone();
    switch (rnd.nextInt(7)) {
      case 0 -> { // flip 1..4 random bytes
        for (int n = 1 + rnd.nextInt(4); n > 0; n--) b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
      }
      case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate
      case 2 -> { // huge or random value in some 4-byte field inside the first 200 bytes
        int at = rnd.nextInt(Math.min(200, b.length - 4));
        ByteBuffer.wrap(b).putInt(at, rnd.nextBoolean() ? 0x7FFFFFFF : rnd.nextInt());
      }
      case 3 -> { // lie about total length, keep the rest
        ByteBuffer.wrap(b).putLong(8, rnd.nextBoolean() ? rnd.nextLong() : b.length + rnd.nextInt(2000) - 1000);
      }
      case 4 -> { // insert random bytes
        int at = rnd.nextInt(b.length);
        byte[] ins = new byte[1 + rnd.nextInt(16)];
        rnd.nextBytes(ins);
        byte[] out = new byte[b.length + ins.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(b, at, out, at + ins.length, b.length - at);
        b = out;
      }
      case 5 -> { // delete a range
        int at = rnd.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + rnd.nextInt(32));
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, b.length - at - len);
        b = out;
      }
      default -> { // random garbage with a valid magic/version prefix sometimes
        byte[] g = new byte[rnd.nextInt(256)];
        rnd.nextBytes(g);
        if (g.length >= 6 && rnd.nextBoolean()) System.arraycopy(base, 0, g, 0, 6);
        b = g;
      }
    }
    return b;
  }

  /** Returns data in small random pieces, like a socket. */
  static final class SlowStream extends InputStream {
    private final byte[] data;
    private final Random rnd;
    private int pos;

    SlowStream(byte[] data, long seed) {
      this.data = data;
      this.rnd = new Random(seed);
    }

    @Override
    public int read() {
      return pos < data.length ? data[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      if (pos >= data.length) return -1;
      int n = Math.min(Math.min(len, data.length - pos), 1 + rnd.nextInt(700));
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
