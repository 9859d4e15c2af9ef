package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.mayfly.agent.driver.sandbox.SlotJournal.Entry;
import dev.mayfly.agent.driver.sandbox.SlotJournal.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of the journal replay: every mutated journal, and random bytes, must
 * replay without an exception; damaged lines are counted as skipped with a file:line warning,
 * and every record that is accepted is one that was written (the per-line checksum).
 */
class SlotJournalFuzzTest {
  private static final long SEED = 0x6A6F75726EL;
  private static final int CASES = 10_000;
  private static final String ALPHABET = "ab=%\t\n\r \u0000\u007fé✓😀09AF#\\";

  @Test
  void mutatedJournalsReplayWithoutExceptionsAndAcceptOnlyWrittenRecords() {
    Random rnd = new Random(SEED);
    List<String> written = new ArrayList<>();
    byte[][] seeds = new byte[8][];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = randomJournal(rnd, written);
    }
    Set<String> known = new HashSet<>(written);
    long accepted = 0;
    long skipped = 0;
    for (int i = 0; i < CASES; i++) {
      byte[] input = i % 10 == 9 ? randomBytes(rnd) : mutate(seeds[rnd.nextInt(seeds.length)], rnd);
      SlotJournal.Replay r;
      try {
        r = SlotJournal.replay(input, "fuzz");
        for (Entry e : r.live.values()) {
          assertThat(known).as("case %d: accepted a record nobody wrote", i).contains(e.line);
          assertThat(e.properties().getProperty("slot")).isEqualTo(e.slot);
          e.fields();
        }
      } catch (AssertionError a) {
        throw a;
      } catch (Throwable t) {
        fail("case " + i + ": unexpected " + t, t);
        return;
      }
      assertThat(r.lines).as("case %d", i).isEqualTo(lines(input));
      assertThat(r.skipped).isBetween(0L, r.lines);
      assertThat(r.warnings).hasSizeLessThanOrEqualTo(SlotJournal.MAX_WARNINGS)
          .allSatisfy(w -> assertThat(w).matches("(?s)fuzz:[0-9]+: .+"));
      accepted += r.live.size();
      skipped += r.skipped;
    }
    // the mutations do damage lines, and most lines survive them
    assertThat(skipped).isGreaterThan(CASES / 2);
    assertThat(accepted).isGreaterThan(CASES);
  }

  @Test
  void unmutatedJournalsReplayToWhatWasWritten() {
    Random rnd = new Random(SEED + 1);
    for (int i = 0; i < 200; i++) {
      List<String> written = new ArrayList<>();
      byte[] j = randomJournal(rnd, written);
      SlotJournal.Replay r = SlotJournal.replay(j, "fuzz");
      assertThat(r.skipped).isZero();
      assertThat(r.lines).isEqualTo(written.size());
      Map<String, String> want = new LinkedHashMap<>();
      for (String line : written) { // fold by hand: latest wins, GONE removes
        String slot = line.split("\t")[1];
        if (line.startsWith("GONE\t")) {
          want.remove(slot);
        } else {
          want.put(slot, line);
        }
      }
      Map<String, String> got = new LinkedHashMap<>();
      r.live.values().forEach(e -> got.put(e.slot, e.line));
      assertThat(got).isEqualTo(want);
    }
  }

  static byte[] randomJournal(Random rnd, List<String> written) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 1 + rnd.nextInt(30);
    for (int i = 0; i < n; i++) {
      Kind kind = Kind.values()[rnd.nextInt(4)];
      String slot = "s" + rnd.nextInt(8);
      Map<String, String> f = new LinkedHashMap<>();
      if (kind == Kind.SHELL || kind == Kind.GUEST) {
        f.put("pid", Integer.toString(rnd.nextInt(1 << 22)));
        f.put("guestId", "g" + rnd.nextInt(100));
        for (int k = rnd.nextInt(4); k > 0; k--) {
          f.put("label." + randomText(rnd, 1 + rnd.nextInt(6)), randomText(rnd, rnd.nextInt(12)));
        }
      }
      String line = SlotJournal.encode(kind, slot, f);
      written.add(line);
      out.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static String randomText(Random rnd, int len) {
    StringBuilder sb = new StringBuilder();
    int[] cps = ALPHABET.codePoints().toArray();
    for (int i = 0; i < len; i++) {
      sb.appendCodePoint(cps[rnd.nextInt(cps.length)]);
    }
    return sb.toString();
  }

  static byte[] randomBytes(Random rnd) {
    byte[] b = new byte[rnd.nextInt(2048)];
    rnd.nextBytes(b);
    return b;
  }

  static long lines(byte[] b) {
    long n = 0;
    for (byte x : b) {
      if (x == '\n') {
        n++;
      }
    }
    return b.length > 0 && b[b.length - 1] != '\n' ? n + 1 : n;
  }

  static byte[] mutate(byte[] base, Random rnd) {
    byte[] b = base.clone();
    switch (rnd.nextInt(8)) {
      case 0 -> { // flip 1..4 random bytes
        for (int n = 1 + rnd.nextInt(4); n > 0; n--) {
          b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
        }
      }
      case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate (a torn tail)
      case 2 -> { // insert random bytes, newlines and tabs among them
        int at = rnd.nextInt(b.length);
        byte[] ins = new byte[1 + rnd.nextInt(16)];
        rnd.nextBytes(ins);
        for (int i = 0; i < ins.length; i++) {
          if (rnd.nextInt(4) == 0) {
            ins[i] = (byte) (rnd.nextBoolean() ? '\n' : '\t');
          }
        }
        b = splice(b, at, 0, ins);
      }
      case 3 -> { // delete a range
        int at = rnd.nextInt(b.length);
        b = splice(b, at, Math.min(b.length - at, 1 + rnd.nextInt(64)), new byte[0]);
      }
      case 4 -> { // duplicate a range (a record written twice, or half of one)
        int at = rnd.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + rnd.nextInt(200));
        b = splice(b, at, 0, Arrays.copyOfRange(b, at, at + len));
      }
      case 5 -> { // zeroes where a power loss left unwritten blocks
        int at = rnd.nextInt(b.length);
        Arrays.fill(b, at, Math.min(b.length, at + 1 + rnd.nextInt(512)), (byte) 0);
      }
      case 6 -> { // a checksum-looking tail or an escape made invalid
        int at = rnd.nextInt(b.length);
        byte[] ins = (rnd.nextBoolean() ? "%G1" : "\t0123abcd").getBytes(StandardCharsets.UTF_8);
        b = splice(b, at, 0, ins);
      }
      default -> {
        int at = rnd.nextInt(b.length);
        if (rnd.nextInt(20) == 0) { // an overlong line in the middle (rare: 1 MiB each)
          byte[] ins = new byte[SlotJournal.MAX_LINE + 1 + rnd.nextInt(100)];
          Arrays.fill(ins, (byte) 'x');
          b = splice(b, at, 0, ins);
        } else { // move a range elsewhere (records out of order, lines glued together)
          int len = Math.min(b.length - at, 1 + rnd.nextInt(300));
          byte[] cut = Arrays.copyOfRange(b, at, at + len);
          b = splice(b, at, len, new byte[0]);
          b = splice(b, rnd.nextInt(b.length + 1), 0, cut);
        }
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] ins) {
    byte[] out = new byte[b.length - remove + ins.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(ins, 0, out, at, ins.length);
    System.arraycopy(b, at + remove, out, at + ins.length, b.length - at - remove);
    return out;
  }
}
