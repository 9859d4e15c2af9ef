package dev.mayfly.agent.driver.sandbox;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox driver's slot state: one append-only journal per agent,
 * {@code <stateDir>/slots/journal} (replaces the per-slot {@code <slot>.state} /
 * {@code <slot>.preparing} files). Enough to re-adopt a guest after an agent restart (slot, pid,
 * start time, port count, guest id, generation, state, labels) — the Nomad
 * {@code TaskHandle.DriverState} idea.
 *
 * <p>Format: one record per line, UTF-8, fields separated by a tab:
 *
 * <pre>
 * KIND TAB slot [TAB key=value]... TAB crc
 * </pre>
 *
 * KIND is {@code PREPARING} (a shell's prepare has started: the marker), {@code SHELL}, {@code
 * GUEST} or {@code GONE}; keys and values are the {@code Properties} names the driver used in
 * the state files (pid, startTime, ports, guestId, generation, state, nfType, startedAt,
 * memoryBytes, cpuWeight, pidsMax, portNames, label.*). In slot, keys and values '%', '=',
 * every control character (tab, newline, CR …) and DEL are written as {@code %XX}, so any
 * label value round-trips; other characters, non-ASCII included, stay as they are. crc is the
 * CRC-32C of the bytes before the last tab, as 8 lower-case hex digits: a torn or damaged line
 * fails it. The latest record of a slot wins; GONE removes the slot.
 *
 * <p>Cost: a record is one {@code write(2)} on a channel opened with O_APPEND (the appends of
 * several threads are serialised by one lock; the file offset is the kernel's). Nothing is
 * fsync'ed (the state files never were): a kill -9 of the agent loses nothing that was
 * written, a power loss may lose the latest records (recovery then falls back as for a record
 * that had not been written yet). The live records are also kept in memory (slot → latest
 * record), so "does slot X have a record" never touches the disk.
 *
 * <p>{@link #open} replays the journal (a malformed line — a torn last line after a crash,
 * garbage — is skipped with a warning naming file:line), reads old-style state files (see
 * {@link #open}), then compacts: the live records are written to {@code journal.tmp}, which is
 * renamed over the journal. The driver's writer thread compacts again whenever the journal
 * has more than max(10 000, 4 × live records) lines ({@link #compactionDue()}).
 *
 * <p>One journal belongs to one driver: two agents must not share a state dir.
 */
final class SlotJournal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SlotJournal.class);
  static final String FILE = "journal";
  /** Longest line read back; longer ones are skipped (a guest record is a few hundred bytes). */
  static final int MAX_LINE = 1 << 20;
  static final int MIN_COMPACT_LINES = 10_000;
  /** Warnings kept (and logged) per replay; the rest are only counted. */
  static final int MAX_WARNINGS = 50;
  /** Slot names end up in cgroup paths and link names: nothing else is accepted. */
  static final Pattern SLOT = Pattern.compile("[A-Za-z0-9_-]{1,16}");

  /** Record kinds. */
  enum Kind {
    PREPARING, SHELL, GUEST, GONE
  }

  /** The latest record of one slot. {@link #line} is the encoded line (without newline). */
  static final class Entry {
    final Kind kind;
    final String slot;
    final String line;

    Entry(Kind kind, String slot, String line) {
      this.kind = kind;
      this.slot = slot;
      this.line = line;
    }

    /** The record's key=value fields, in the order written. */
    Map<String, String> fields() {
      Map<String, String> out = new LinkedHashMap<>();
      int end = line.lastIndexOf('\t');
      String[] tok = line.substring(0, end).split("\t", -1);
      for (int i = 2; i < tok.length; i++) {
        int eq = tok[i].indexOf('=');
        out.put(unescape(tok[i].substring(0, eq)), unescape(tok[i].substring(eq + 1)));
      }
      return out;
    }

    /**
     * The record as the old state file's Properties: {@code kind} (shell, guest or preparing),
     * {@code slot} and the fields.
     */
    Properties properties() {
      Properties p = new Properties();
      fields().forEach(p::setProperty);
      p.setProperty("kind", kind == Kind.GUEST ? "guest" : kind == Kind.SHELL ? "shell"
          : "preparing");
      p.setProperty("slot", slot);
      return p;
    }

    @Override
    public String toString() {
      return kind + " " + slot;
    }
  }

  /** What a replay found: the live records by slot, the lines read and those skipped. */
  static final class Replay {
    final Map<String, Entry> live = new HashMap<>();
    /** "file:line: reason" of the first {@link #MAX_WARNINGS} skipped lines. */
    final List<String> warnings = new ArrayList<>();
    long lines;
    long skipped;

    void skip(String name, long lineNo, String why) {
      skipped++;
      if (warnings.size() < MAX_WARNINGS) {
        warnings.add(name + ":" + lineNo + ": " + why);
      }
    }
  }

  private final Path dir;
  private final Path file;
  private final int minCompactLines;
  private final Object lock = new Object();
  private final Map<String, Entry> live = new ConcurrentHashMap<>();
  private final Map<String, Entry> replayed;
  private FileChannel ch; // under lock; null once closed
  private volatile long lines; // lines in the file (records and skipped ones)
  private boolean torn; // an append failed part way: start the next one on a fresh line

  private SlotJournal(Path dir, int minCompactLines, Map<String, Entry> replayed) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
    this.minCompactLines = minCompactLines;
    this.replayed = Collections.unmodifiableMap(replayed);
    this.live.putAll(replayed);
  }

  /**
   * Opens the journal of {@code dir} (created if missing): replays it, takes over old-style
   * files, compacts it and opens it for appending.
   *
   * <p>Upgrade path (one release of backwards compatibility, remove after it): an agent before
   * the journal kept {@code <slot>.state} (Properties) and {@code <slot>.preparing} files. They
   * are read into the journal (a slot's state file wins over its marker, a journal record over
   * both), written into the compacted journal, and only then deleted. A state file that cannot
   * be read is left where it is, with a warning.
   */
  static SlotJournal open(Path dir) throws IOException {
    return open(dir, MIN_COMPACT_LINES);
  }

  static SlotJournal open(Path dir, int minCompactLines) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(FILE);
    Replay r;
    try (InputStream in = Files.newInputStream(file)) {
      r = replay(in, file.toString());
    } catch (NoSuchFileException e) {
      r = new Replay();
    }
    for (String w : r.warnings) {
      log.warn("slot journal: skipped {}", w);
    }
    if (r.skipped > r.warnings.size()) {
      log.warn("slot journal: {}: {} more malformed line(s) skipped", file,
          r.skipped - r.warnings.size());
    }
    List<Path> old = upgrade(dir, r.live);
    SlotJournal j = new SlotJournal(dir, minCompactLines, r.live);
    j.compact();
    for (Path f : old) {
      Files.deleteIfExists(f);
    }
    if (!old.isEmpty()) {
      log.info("slot journal: took over {} old state file(s) of {}", old.size(), dir);
    }
    return j;
  }

  /** Reads old {@code *.state} / {@code *.preparing} files into {@code live}; returns them. */
  private static List<Path> upgrade(Path dir, Map<String, Entry> live) throws IOException {
    List<Path> states = new ArrayList<>();
    List<Path> markers = new ArrayList<>();
    List<Path> done = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String n = f.getFileName().toString();
        if (n.endsWith(".state")) {
          states.add(f);
        } else if (n.endsWith(".preparing")) {
          markers.add(f);
        } else if (n.endsWith(".tmp") && !n.equals(FILE + ".tmp")) {
          done.add(f); // a state file write cut short: its rename never happened
        }
      }
    }
    Collections.sort(states);
    Collections.sort(markers);
    for (Path f : states) {
      String stem = stem(f, ".state");
      Properties p = new Properties();
      try (Reader rd = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(rd);
      } catch (IOException | IllegalArgumentException e) {
        log.warn("slot journal: unreadable old state file {}: {}", f, e.getMessage());
        continue;
      }
      String slot = p.getProperty("slot", stem);
      if (!SLOT.matcher(slot).matches()) {
        log.warn("slot journal: old state file {}: bad slot name '{}'", f, printable(slot));
        continue;
      }
      if (!live.containsKey(slot)) {
        Map<String, String> fields = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
          if (!k.equals("kind") && !k.equals("slot") && !k.isEmpty()) {
            fields.put(k, p.getProperty(k));
          }
        }
        Kind kind = "guest".equals(p.getProperty("kind")) ? Kind.GUEST : Kind.SHELL;
        live.put(slot, new Entry(kind, slot, encode(kind, slot, fields)));
      }
      done.add(f);
    }
    for (Path f : markers) {
      String slot = stem(f, ".preparing");
      if (!SLOT.matcher(slot).matches()) {
        log.warn("slot journal: old marker {}: bad slot name", f);
        continue;
      }
      live.putIfAbsent(slot, new Entry(Kind.PREPARING, slot, encode(Kind.PREPARING, slot,
          Map.of())));
      done.add(f);
    }
    return done;
  }

  private static String stem(Path f, String suffix) {
    String n = f.getFileName().toString();
    return n.substring(0, n.length() - suffix.length());
  }

  // ---------------------------------------------------------------- appends

  /** Appends the PREPARING marker of a slot whose shell is about to be prepared. */
  void preparing(String slot) throws IOException {
    append(Kind.PREPARING, slot, Map.of());
  }

  void shell(String slot, Map<String, String> fields) throws IOException {
    append(Kind.SHELL, slot, fields);
  }

  void guest(String slot, Map<String, String> fields) throws IOException {
    append(Kind.GUEST, slot, fields);
  }

  /** Appends GONE for a slot that has a record (nothing is written for an unknown slot). */
  void gone(String slot) throws IOException {
    if (live.containsKey(slot)) {
      append(Kind.GONE, slot, Map.of());
    }
  }

  /** Appends one record with one write; the in-memory map changes with it, under one lock. */
  void append(Kind kind, String slot, Map<String, String> fields) throws IOException {
    if (slot == null || !SLOT.matcher(slot).matches()) {
      throw new IllegalArgumentException("slot: '" + slot + "' is not [A-Za-z0-9_-]{1,16}");
    }
    String line = encode(kind, slot, fields);
    byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (lock) {
      if (ch == null) {
        throw new IOException("slot journal " + file + " is closed");
      }
      ByteBuffer buf = torn ? ByteBuffer.wrap(("\n" + line + "\n")
          .getBytes(StandardCharsets.UTF_8)) : ByteBuffer.wrap(b);
      torn = true; // until the whole record is in
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      torn = false;
      lines++;
      if (kind == Kind.GONE) {
        live.remove(slot);
      } else {
        live.put(slot, new Entry(kind, slot, line));
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /** The latest record of a slot, or null when it has none (never had one, or GONE). */
  Entry get(String slot) {
    return slot == null ? null : live.get(slot);
  }

  /** Whether a slot has a live record (any kind); reads memory only. */
  boolean has(String slot) {
    return slot != null && live.containsKey(slot);
  }

  /** The live records found when the journal was opened (what the previous agent left). */
  Map<String, Entry> replayed() {
    return replayed;
  }

  /** A snapshot of the live records. */
  List<Entry> entries() {
    return new ArrayList<>(live.values());
  }

  int liveCount() {
    return live.size();
  }

  long lineCount() {
    return lines;
  }

  Path file() {
    return file;
  }

  /** Whether the journal has grown past max(minCompactLines, 4 × live records) lines. */
  boolean compactionDue() {
    return lines > Math.max(minCompactLines, 4L * live.size());
  }

  /**
   * Writes the live records to {@code journal.tmp} and renames it over the journal (appends
   * wait meanwhile); the channel is reopened on the new file.
   */
  void compact() throws IOException {
    synchronized (lock) {
      Path tmp = dir.resolve(FILE + ".tmp");
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        StringBuilder sb = new StringBuilder(64 * 1024 + 1024);
        for (Entry e : live.values()) {
          sb.append(e.line).append('\n');
          if (sb.length() >= 64 * 1024) {
            writeFully(out, sb);
          }
        }
        writeFully(out, sb);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      if (ch != null) {
        ch.close();
      }
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      lines = live.size();
      torn = false;
    }
  }

  private static void writeFully(FileChannel out, StringBuilder sb) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      out.write(buf);
    }
    sb.setLength(0);
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException e) {
          log.warn("slot journal {}: {}", file, e.getMessage());
        }
        ch = null;
      }
    }
  }

  // ---------------------------------------------------------------- format

  /** Encodes one record (without the newline). */
  static String encode(Kind kind, String slot, Map<String, String> fields) {
    StringBuilder sb = new StringBuilder(64 + 32 * fields.size());
    sb.append(kind.name()).append('\t');
    escape(sb, slot);
    if (kind == Kind.SHELL || kind == Kind.GUEST) {
      for (Map.Entry<String, String> f : fields.entrySet()) {
        if (f.getKey() == null || f.getKey().isEmpty() || f.getValue() == null) {
          throw new IllegalArgumentException("slot journal: field '" + f.getKey() + "' of "
              + slot + ": empty key or null value");
        }
        sb.append('\t');
        escape(sb, f.getKey());
        sb.append('=');
        escape(sb, f.getValue());
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
    sb.append('\t');
    String hex = Long.toHexString(crc.getValue());
    sb.append("0".repeat(8 - hex.length())).append(hex);
    return sb.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static boolean mustEscape(char c) {
    return c == '%' || c == '=' || c < 0x20 || c == 0x7f;
  }

  static void escape(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (mustEscape(c)) {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
      } else {
        sb.append(c);
      }
    }
  }

  /** Inverse of {@link #escape}; throws IllegalArgumentException on what escape never writes. */
  static String unescape(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '%') {
        sb.append(c);
        continue;
      }
      int v = i + 2 < s.length() ? hexValue(s.charAt(i + 1), s.charAt(i + 2)) : -1;
      if (v < 0 || !mustEscape((char) v)) {
        throw new IllegalArgumentException("bad escape at column " + (i + 1));
      }
      sb.append((char) v);
      i += 2;
    }
    return sb.toString();
  }

  private static int hexValue(char a, char b) {
    int h = Character.digit(a, 16);
    int l = Character.digit(b, 16);
    return h < 0 || l < 0 || a > 'F' || b > 'F' ? -1 : h << 4 | l;
  }

  /**
   * Replays a journal: folds its records (latest per slot wins, GONE removes) and skips every
   * malformed line with a reason. Never throws for any content; only the stream's own
   * IOException passes through.
   */
  static Replay replay(InputStream in, String name) throws IOException {
    Replay r = new Replay();
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    byte[] chunk = new byte[64 * 1024];
    LineBuffer line = new LineBuffer();
    int n;
    while ((n = in.read(chunk)) > 0) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (chunk[i] != '\n') {
          continue;
        }
        line.take(chunk, start, i - start);
        r.lines++;
        if (line.overlong) {
          r.skip(name, r.lines, "line longer than " + MAX_LINE + " bytes");
        } else {
          fold(r, name, r.lines, line.bytes(), line.size(), utf8);
        }
        line.clear();
        start = i + 1;
      }
      line.take(chunk, start, n - start);
    }
    if (line.size() > 0 || line.overlong) {
      r.lines++;
      r.skip(name, r.lines, "torn last line (no newline at the end)");
    }
    return r;
  }

  static Replay replay(byte[] data, String name) {
    try {
      return replay(new ByteArrayInputStream(data), name);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a byte array does not fail
    }
  }

  /** The bytes of one line, up to MAX_LINE; past that only the fact that it was too long. */
  private static final class LineBuffer extends java.io.ByteArrayOutputStream {
    boolean overlong;

    LineBuffer() {
      super(1024);
    }

    void take(byte[] src, int off, int n) {
      if (overlong || n == 0) {
        return;
      }
      if (count + n > MAX_LINE) {
        overlong = true;
        return;
      }
      write(src, off, n);
    }

    byte[] bytes() {
      return buf;
    }

    void clear() {
      reset();
      overlong = false;
    }
  }


  private static void fold(Replay r, String name, long lineNo, byte[] b, int len,
      CharsetDecoder utf8) {
    int tab = -1;
    for (int i = len - 1; i >= 0; i--) {
      if (b[i] == '\t') {
        tab = i;
        break;
      }
    }
    if (len == 0) {
      r.skip(name, lineNo, "empty line");
      return;
    }
    if (tab < 0 || len - tab - 1 != 8) {
      r.skip(name, lineNo, "no checksum at the end of the line");
      return;
    }
    long want = 0;
    for (int i = tab + 1; i < len; i++) {
      int d = Character.digit(b[i], 16);
      if (d < 0 || b[i] > 'f' || (b[i] >= 'A' && b[i] <= 'F')) {
        r.skip(name, lineNo, "no checksum at the end of the line");
        return;
      }
      want = want << 4 | d;
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, tab);
    if (crc.getValue() != want) {
      r.skip(name, lineNo, "checksum mismatch (torn or damaged record)");
      return;
    }
    String payload;
    try {
      CharBuffer cb = utf8.reset().decode(ByteBuffer.wrap(b, 0, tab));
      payload = cb.toString();
    } catch (CharacterCodingException e) {
      r.skip(name, lineNo, "not UTF-8");
      return;
    }
    String[] tok = payload.split("\t", -1);
    Kind kind;
    try {
      kind = Kind.valueOf(tok[0]);
    } catch (IllegalArgumentException e) {
      r.skip(name, lineNo, "unknown record kind '" + printable(tok[0]) + "'");
      return;
    }
    if (tok.length < 2) {
      r.skip(name, lineNo, kind + " without a slot");
      return;
    }
    String slot;
    try {
      slot = unescape(tok[1]);
    } catch (IllegalArgumentException e) {
      r.skip(name, lineNo, "slot: " + e.getMessage());
      return;
    }
    if (!SLOT.matcher(slot).matches()) {
      r.skip(name, lineNo, "slot '" + printable(slot) + "' is not [A-Za-z0-9_-]{1,16}");
      return;
    }
    if ((kind == Kind.PREPARING || kind == Kind.GONE) && tok.length != 2) {
      r.skip(name, lineNo, kind + " with fields");
      return;
    }
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (int i = 2; i < tok.length; i++) {
      int eq = tok[i].indexOf('=');
      if (eq <= 0 || tok[i].indexOf('=', eq + 1) >= 0) {
        r.skip(name, lineNo, "field " + (i - 1) + ": not key=value");
        return;
      }
      String key;
      try {
        key = unescape(tok[i].substring(0, eq));
        unescape(tok[i].substring(eq + 1));
      } catch (IllegalArgumentException e) {
        r.skip(name, lineNo, "field " + (i - 1) + ": " + e.getMessage());
        return;
      }
      if (key.equals("kind") || key.equals("slot") || !keys.add(key)) {
        r.skip(name, lineNo, "field " + (i - 1) + ": duplicate key '" + printable(key) + "'");
        return;
      }
    }
    if (kind == Kind.GONE) {
      r.live.remove(slot);
    } else {
      r.live.put(slot, new Entry(kind, slot, payload + "\t" + new String(b, tab + 1, 8,
          StandardCharsets.US_ASCII)));
    }
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 40; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return s.length() > 40 ? sb + "…" : sb.toString();
  }
}
