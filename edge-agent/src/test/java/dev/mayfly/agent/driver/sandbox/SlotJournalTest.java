package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.agent.driver.sandbox.SlotJournal.Entry;
import dev.mayfly.agent.driver.sandbox.SlotJournal.Kind;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The slot journal: format round trip, folding, damaged lines, compaction, upgrade, threads. */
class SlotJournalTest {
  @TempDir Path dir;

  static final List<String> NASTY = List.of("", "plain", "with space", "a=b=c", "=",
      "100%", "%41%%", "%", "tab\there", "line\nbreak", "cr\r\nlf", "\u0000\u0001\u001f\u007f",
      "ünïcödé ✓ 😀 日本", "trailing\t", "key=value\tkey2=value2", "#!comment", "\\u0041\\n",
      "GONE\tslot", " leading and trailing ");

  static Map<String, String> guestFields(String id, String state) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("pid", "4242");
    f.put("startTime", "123456789");
    f.put("ports", "2");
    f.put("guestId", id);
    f.put("generation", "7");
    f.put("state", state);
    f.put("nfType", "personal-firewall");
    f.put("startedAt", "1764230000000");
    f.put("memoryBytes", Long.toString(32L << 20));
    f.put("cpuWeight", "100");
    f.put("pidsMax", "16");
    f.put("portNames", "access,core,");
    for (int i = 0; i < NASTY.size(); i++) {
      f.put("label.v" + i, NASTY.get(i));
      f.put("label." + NASTY.get(i).replace("=", "") + "#" + i, "k" + i); // nasty keys too
    }
    return f;
  }

  private Replay readBack() throws Exception {
    return new Replay(SlotJournal.replay(Files.readAllBytes(dir.resolve("journal")), "journal"));
  }

  record Replay(SlotJournal.Replay r) {
    Entry get(String slot) {
      return r.live.get(slot);
    }
  }

  @Test
  void everyFieldAndNastyLabelValuesRoundTrip() throws Exception {
    Map<String, String> f = guestFields("fw-0001", "RUNNING");
    try (SlotJournal j = SlotJournal.open(dir)) {
      j.guest("ab12cd34", f);
      assertThat(j.get("ab12cd34").fields()).containsExactlyEntriesOf(f); // from memory
    }
    Replay r = readBack();
    assertThat(r.r().skipped).isZero();
    assertThat(r.get("ab12cd34").fields()).containsExactlyEntriesOf(f); // from the file
    try (SlotJournal j = SlotJournal.open(dir)) { // replayed and compacted
      Entry e = j.get("ab12cd34");
      assertThat(e.kind).isEqualTo(Kind.GUEST);
      assertThat(e.fields()).containsExactlyEntriesOf(f);
      Properties p = e.properties();
      assertThat(p.getProperty("kind")).isEqualTo("guest");
      assertThat(p.getProperty("slot")).isEqualTo("ab12cd34");
      for (int i = 0; i < NASTY.size(); i++) {
        assertThat(p.getProperty("label.v" + i)).isEqualTo(NASTY.get(i));
      }
    }
    // one record, one line: every newline of a value is escaped
    assertThat(Files.readAllLines(dir.resolve("journal"))).hasSize(1);
  }

  @Test
  void theLatestRecordWinsAndGoneRemovesTheSlot() throws Exception {
    try (SlotJournal j = SlotJournal.open(dir)) {
      j.preparing("s1");
      assertThat(j.get("s1").kind).isEqualTo(Kind.PREPARING);
      j.shell("s1", Map.of("pid", "1", "startTime", "2", "ports", "2"));
      j.guest("s1", guestFields("g1", "RUNNING"));
      j.guest("s1", guestFields("g1", "PAUSED"));
      j.preparing("s2");
      j.gone("s2");
      j.shell("s3", Map.of("pid", "3", "startTime", "4", "ports", "0"));
      assertThat(j.has("s1")).isTrue();
      assertThat(j.has("s2")).isFalse();
      long lines = j.lineCount();
      j.gone("never-seen"); // nothing is written for a slot without a record
      assertThat(j.lineCount()).isEqualTo(lines);
    }
    Replay r = readBack();
    assertThat(r.r().live).containsOnlyKeys("s1", "s3");
    assertThat(r.get("s1").kind).isEqualTo(Kind.GUEST);
    assertThat(r.get("s1").fields()).containsEntry("state", "PAUSED");
    assertThat(r.get("s3").properties().getProperty("kind")).isEqualTo("shell");
    try (SlotJournal j = SlotJournal.open(dir)) {
      assertThat(j.replayed()).containsOnlyKeys("s1", "s3");
      assertThat(j.get("s1").fields()).containsEntry("state", "PAUSED");
    }
  }

  @Test
  void aTornLastLineAndGarbageAreSkippedWithTheirLineNumbers() throws Exception {
    try (SlotJournal j = SlotJournal.open(dir)) {
      j.shell("s1", Map.of("pid", "1", "startTime", "2", "ports", "2")); // line 1
      j.guest("s2", guestFields("g2", "RUNNING")); // line 2
    }
    Path file = dir.resolve("journal");
    String torn = SlotJournal.encode(Kind.GUEST, "s1", guestFields("g1", "RUNNING"));
    Files.writeString(file, "hello world\n" // line 3
        + "GUEST\ts3\tpid=1\t00000000\n" // line 4: checksum wrong
        + SlotJournal.encode(Kind.SHELL, "bad/slot", Map.of()) + "\n" // line 5: slot
        + "\n" // line 6: empty
        + torn.substring(0, torn.length() / 2), // line 7: the kill came mid-append
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    SlotJournal.Replay r = SlotJournal.replay(Files.readAllBytes(file), file.toString());
    assertThat(r.lines).isEqualTo(7);
    assertThat(r.skipped).isEqualTo(5);
    assertThat(r.warnings).containsExactly(
        file + ":3: no checksum at the end of the line",
        file + ":4: checksum mismatch (torn or damaged record)",
        file + ":5: slot 'bad/slot' is not [A-Za-z0-9_-]{1,16}",
        file + ":6: empty line",
        file + ":7: torn last line (no newline at the end)");
    assertThat(r.live).containsOnlyKeys("s1", "s2");
    assertThat(r.live.get("s1").kind).isEqualTo(Kind.SHELL); // the torn GUEST did not count
    try (SlotJournal j = SlotJournal.open(dir)) { // does not throw; compacts the junk away
      assertThat(j.entries()).extracting(e -> e.slot).containsExactlyInAnyOrder("s1", "s2");
      j.gone("s1");
    }
    assertThat(readBack().r().skipped).isZero();
    assertThat(readBack().r().live).containsOnlyKeys("s2");
  }

  @Test
  void compactionKeepsExactlyTheLiveRecordsAndShrinksTheFile() throws Exception {
    Path file = dir.resolve("journal");
    try (SlotJournal j = SlotJournal.open(dir, 100)) {
      for (int round = 0; round < 10; round++) {
        for (int s = 0; s < 50; s++) {
          j.guest("slot" + s, guestFields("g" + s, round % 2 == 0 ? "RUNNING" : "PAUSED"));
        }
      }
      for (int s = 0; s < 20; s++) {
        j.gone("slot" + s);
      }
      assertThat(j.lineCount()).isEqualTo(520);
      assertThat(j.compactionDue()).isTrue(); // 520 > max(100, 4 x 30)
      Map<String, String> before = new LinkedHashMap<>();
      for (Entry e : readBack().r().live.values()) {
        before.put(e.slot, e.line);
      }
      long size = Files.size(file);
      j.compact();
      assertThat(Files.size(file)).isLessThan(size / 10);
      assertThat(j.lineCount()).isEqualTo(30);
      assertThat(j.compactionDue()).isFalse();
      SlotJournal.Replay r = readBack().r();
      assertThat(r.lines).isEqualTo(30);
      assertThat(r.skipped).isZero();
      Map<String, String> after = new LinkedHashMap<>();
      r.live.values().forEach(e -> after.put(e.slot, e.line));
      assertThat(after).isEqualTo(before).hasSize(30);
      assertThat(after.get("slot20")).contains("state=PAUSED");
      j.gone("slot20"); // appends go to the compacted file
      j.preparing("newslot");
    }
    assertThat(readBack().r().live).doesNotContainKey("slot20").containsKey("newslot")
        .hasSize(30);
    assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("journal");
  }

  @Test
  void oldStateFilesAndMarkersAreTakenOverOnce() throws Exception {
    Properties guest = new Properties();
    guest.putAll(guestFields("old-guest", "PAUSED"));
    guest.setProperty("kind", "guest");
    guest.setProperty("slot", "oldg0001");
    Properties shell = new Properties();
    shell.putAll(Map.of("kind", "shell", "slot", "olds0001", "pid", "9", "startTime", "8",
        "ports", "2"));
    store(dir.resolve("oldg0001.state"), guest);
    store(dir.resolve("olds0001.state"), shell);
    Files.write(dir.resolve("olds0001.preparing"), new byte[0]); // finished: the state wins
    Files.write(dir.resolve("oldp0001.preparing"), new byte[0]); // cut short
    Files.writeString(dir.resolve("oldg0001.tmp"), "half a rewrite");
    Files.writeString(dir.resolve("broken01.state"), "slot=broken01\nbad=\\uZZZZ\n");
    try (SlotJournal j = SlotJournal.open(dir)) {
      assertThat(j.replayed()).containsOnlyKeys("oldg0001", "olds0001", "oldp0001");
      Properties g = j.get("oldg0001").properties();
      assertThat(g).isEqualTo(guest);
      assertThat(j.get("olds0001").properties()).isEqualTo(shell);
      assertThat(j.get("oldp0001").kind).isEqualTo(Kind.PREPARING);
    }
    // the taken-over files are gone; the unreadable one is left for a person to look at
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
        .containsExactlyInAnyOrder("journal", "broken01.state");
    assertThat(readBack().r().live).containsOnlyKeys("oldg0001", "olds0001", "oldp0001");
    try (SlotJournal j = SlotJournal.open(dir)) { // a second start reads them from the journal
      assertThat(j.get("oldg0001").properties()).isEqualTo(guest);
    }
  }

  @Test
  void aJournalRecordWinsOverAnOldFileOfTheSameSlot() throws Exception {
    try (SlotJournal j = SlotJournal.open(dir)) {
      j.guest("both0001", guestFields("new", "RUNNING"));
    }
    // an upgrade interrupted between the journal's rename and the deletes
    Properties stale = new Properties();
    stale.putAll(Map.of("kind", "shell", "slot", "both0001", "pid", "1"));
    store(dir.resolve("both0001.state"), stale);
    try (SlotJournal j = SlotJournal.open(dir)) {
      assertThat(j.get("both0001").fields()).containsEntry("guestId", "new");
    }
    assertThat(Files.exists(dir.resolve("both0001.state"))).isFalse();
  }

  @Test
  void concurrentAppendsAndCompactionsLoseNothing() throws Exception {
    int threads = 4;
    int perThread = 3000;
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService ex = Executors.newFixedThreadPool(threads + 1);
    try (SlotJournal j = SlotJournal.open(dir, 500)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tt = t;
        fs.add(ex.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            String slot = "t" + tt + "s" + (i % 100);
            if (i % 7 == 6) {
              j.gone(slot);
            } else {
              j.guest(slot, Map.of("guestId", "g" + tt + "-" + i, "label.x", "a\tb=c\n"));
            }
          }
          return null;
        }));
      }
      Future<?> compactor = ex.submit(() -> {
        while (!stop.get()) {
          if (j.compactionDue()) {
            j.compact();
          }
          Thread.onSpinWait();
        }
        return null;
      });
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      stop.set(true);
      compactor.get(60, TimeUnit.SECONDS);
      Map<String, String> mem = new LinkedHashMap<>();
      j.entries().forEach(e -> mem.put(e.slot, e.line));
      SlotJournal.Replay r = readBack().r();
      assertThat(r.skipped).isZero();
      assertThat(r.lines).isEqualTo(j.lineCount());
      Map<String, String> disk = new LinkedHashMap<>();
      r.live.values().forEach(e -> disk.put(e.slot, e.line));
      assertThat(disk).isEqualTo(mem);
      // each thread's last write per slot is what is left
      assertThat(r.live.get("t2s99").fields()).containsEntry("guestId", "g2-2999");
      assertThat(r.live).doesNotContainKey("t0s4"); // i = 2904: GONE last
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void badSlotNamesAndNullValuesAreRefusedBeforeAnythingIsWritten() throws Exception {
    try (SlotJournal j = SlotJournal.open(dir)) {
      assertThatThrownBy(() -> j.preparing("../etc")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("slot");
      Map<String, String> f = new LinkedHashMap<>();
      f.put("label.x", null);
      assertThatThrownBy(() -> j.guest("ok", f)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("label.x");
      assertThat(j.lineCount()).isZero();
    }
    assertThat(Files.size(dir.resolve("journal"))).isZero();
  }

  private static void store(Path f, Properties p) throws Exception {
    try (Writer w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
  }
}
