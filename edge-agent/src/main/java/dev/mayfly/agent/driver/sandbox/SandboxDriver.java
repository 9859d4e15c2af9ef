package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.Fingerprint;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestEvent;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestException.Code;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.GuestState;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code sandbox} guest driver: guests are clickos processes in fresh pid/net/mount/uts/ipc
 * namespaces, in per-guest cgroups, on an empty read-only root, driven through a noxs control
 * page (libnoxs). Isolation is container-grade (docs/sandbox.md).
 *
 * <p>The guest table is a {@link ConcurrentHashMap} by guest id; every operation on one guest
 * is O(1) and synchronised on that guest only. One watcher thread waits on an epoll set of the
 * guests' pidfds and reports guests that die on their own as CRASHED.
 *
 * <p>The slot journal {@code stateDir/slots/journal} ({@link SlotJournal}) lets a restarted
 * agent re-adopt running guests ({@link #recover()}).
 */
public final class SandboxDriver implements GuestDriver, GuestDriver.Pausable,
    GuestDriver.Checkpointable, GuestDriver.HandlerAccess, GuestDriver.StateImport {
  private static final Logger log = LoggerFactory.getLogger(SandboxDriver.class);
  public static final String NAME = "sandbox";
  private static final int MAX_ID = 63;
  private static final int MAX_CONFIG = 44 * 1024 - 1;
  private static final int MAX_CHECKPOINT = 256 << 20;
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile(
      "[A-Za-z0-9._:-]{1," + MAX_ID + "}");
  /** A Linux interface name: 1-15 chars, no '/', ':' or blanks (dev_valid_name). */
  private static final java.util.regex.Pattern IFNAME = java.util.regex.Pattern.compile(
      "[^/:\\s]{1,15}");
  private final java.util.concurrent.atomic.AtomicInteger roundRobin =
      new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.regex.Pattern PORT = java.util.regex.Pattern.compile(
      "[A-Za-z0-9_]{1,15}");

  private final Path slotDir;
  private final SlotJournal journal;
  private final SandboxOptions opts;
  private final NoxsLib lib;
  private final Map<String, Guest> guests = new ConcurrentHashMap<>();
  private final Map<Long, Guest> byToken = new ConcurrentHashMap<>();
  private final Map<String, SandboxShell> shells = new ConcurrentHashMap<>();
  private final List<Consumer<GuestEvent>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong tokens = new AtomicLong();
  private final SecureRandom random = new SecureRandom();
  private final int watchFd;
  private final Thread watcher;
  private final Map<String, String> hostFacts;
  private volatile boolean closed;
  /** Write-behind of guest records: the boot answers before its journal record is written. */
  private final java.util.concurrent.LinkedBlockingQueue<Guest> toPersist =
      new java.util.concurrent.LinkedBlockingQueue<>();
  private final Thread persister;
  private final java.util.concurrent.atomic.AtomicInteger pendingWrites =
      new java.util.concurrent.atomic.AtomicInteger();
  /** Every slot this driver created or adopted, only with -Dmayfly.sandbox.trackSlots (tests). */
  private final Set<String> tracked =
      Boolean.getBoolean("mayfly.sandbox.trackSlots") ? ConcurrentHashMap.newKeySet() : null;

  /** One guest in the table. Fields change under {@code synchronized (guest)}. */
  private static final class Guest {
    final String id;
    final String slot;
    final long token;
    GuestSpec spec;
    long generation;
    volatile GuestState state;
    Pointer handle; // null once released / cleaned up
    int pid;
    long startTime;
    long startedAt;
    Map<String, Double> timings = Map.of();
    boolean persistPending; // queued for the journal writer

    Guest(String id, String slot, long token) {
      this.id = id;
      this.slot = slot;
      this.token = token;
    }
  }

  /**
   * Creates the driver: loads libnoxs, installs the runtime into the guests' root, detects
   * cgroups, starts the exit watcher. Throws UNSUPPORTED with the reason when it cannot work.
   */
  public SandboxDriver(Path stateDir, SandboxOptions opts) throws GuestException {
    if (!NoxsNative.isAvailable()) {
      throw new GuestException(Code.UNSUPPORTED, "libnoxs: " + NoxsNative.unavailabilityReason());
    }
    if (!Files.isExecutable(opts.runtime())) {
      throw new GuestException(Code.UNSUPPORTED, "guest runtime " + opts.runtime()
          + " not found or not executable (set MAYFLY_CLICKOS or build clickos-images)");
    }
    this.opts = opts;
    this.lib = Noxs.lib();
    this.slotDir = stateDir.resolve("slots");
    try {
      Files.createDirectories(slotDir);
      Files.createDirectories(opts.rootDir().getParent() == null ? opts.rootDir()
          : opts.rootDir().getParent());
    } catch (IOException e) {
      throw new GuestException(Code.UNSUPPORTED, "state dir " + slotDir + ": " + e.getMessage());
    }
    int flags = (opts.userns() ? Noxs.HOST_USERNS : 0) | (opts.guestStderr() ? Noxs.HOST_STDERR : 0);
    Noxs.check(lib.noxs_host_init(opts.runtime().toString(), opts.rootDir().toString(), flags,
        Noxs.err()), "sandbox host init");
    byte[] buf = new byte[1024];
    int n = lib.noxs_host_describe(buf, buf.length, Noxs.err());
    Map<String, String> facts = new LinkedHashMap<>();
    for (String line : Noxs.cstring(buf, Math.max(n, 0)).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        facts.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    facts.put("runtime", opts.runtime().toString());
    facts.put("libnoxs", String.valueOf(NoxsNative.path()));
    this.hostFacts = Map.copyOf(facts);
    this.watchFd = lib.noxs_watch_create(Noxs.err());
    if (watchFd < 0) {
      throw Noxs.failure("exit watch");
    }
    try {
      // replay + compaction: what recover() acts on; the threshold property is for tests
      this.journal = SlotJournal.open(slotDir, Integer.getInteger(
          "mayfly.sandbox.journalCompactLines", SlotJournal.MIN_COMPACT_LINES));
    } catch (IOException | RuntimeException e) {
      lib.noxs_watch_close(watchFd);
      throw new GuestException(Code.UNSUPPORTED, "slot journal in " + slotDir + ": "
          + e.getMessage());
    }
    this.watcher = new Thread(this::watchLoop, "sandbox-exit-watch");
    watcher.setDaemon(true);
    watcher.start();
    this.persister = new Thread(this::persistLoop, "sandbox-state-writer");
    persister.setDaemon(true);
    persister.start();
  }

  /**
   * Writes the journal records of booted guests behind the boot (write-behind). Crash safety:
   * until its GUEST record is appended a guest's slot still has its SHELL record (written at
   * prepare), and {@link #recover()} adopts a "shell" whose page holds a booted guest as that
   * guest (id, generation and port names from the page; labels are lost in that window). This
   * thread also compacts the journal when it has grown (never a boot's path).
   */
  private void persistLoop() {
    while (true) {
      Guest g;
      try {
        g = toPersist.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (journal.compactionDue()) {
        try {
          journal.compact();
        } catch (IOException e) {
          log.warn("slot journal compaction: {}", e.getMessage());
        }
      }
      if (g == null) {
        if (closed) {
          return;
        }
        continue;
      }
      synchronized (g) {
        if (g.persistPending && g.handle != null && (g.state == GuestState.RUNNING
            || g.state == GuestState.PAUSED || g.state == GuestState.CHECKPOINTED)) {
          persistGuest(g);
        }
        g.persistPending = false;
      }
      pendingWrites.decrementAndGet();
    }
  }

  /** Waits until every queued guest record is written (tests, close). */
  public void flushStateFiles() {
    for (int i = 0; i < 10000 && pendingWrites.get() > 0; i++) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Fingerprint fingerprint() {
    Set<String> caps = new HashSet<>(Set.of("pause", "checkpoint", "handlers", "bridge-choice"));
    if ("1".equals(hostFacts.get("userns"))) {
      caps.add("userns");
    }
    return new Fingerprint(true, null, caps, hostFacts);
  }

  // ---------------------------------------------------------------- prepare

  private String newSlot() {
    char[] c = new char[8];
    for (int i = 0; i < c.length; i++) {
      c[i] = Character.forDigit(random.nextInt(36), 36);
    }
    return new String(c);
  }

  /**
   * The bridges a pooled shell's host ends join at prepare: with core bridges configured, a
   * class with cross-connected ports (the personal firewall's) has its other ports in one core
   * bridge, round robin; null for none.
   */
  String[] bridgesAhead(ShellClass cls) {
    List<String> core = opts.coreBridges();
    if (core.isEmpty() || cls.xconnectMask() == 0 || cls.ports() == 0) {
      return null;
    }
    String br = core.get(Math.floorMod(roundRobin.getAndIncrement(), core.size()));
    String[] out = new String[cls.ports()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (cls.xconnectMask() & (1 << i)) != 0 ? null : br;
    }
    return out;
  }

  /**
   * The bridge a port joins: {@code requested} is one bridge, or several separated by
   * {@code :} (the controller's "any core bridge of the node"). From several, the one the
   * shell's host end joined at prepare when it is among them (nothing to enslave), else one
   * by a hash of the guest id.
   */
  static String chooseBridge(String requested, String ahead, String guestId) {
    if (requested == null || requested.indexOf(':') < 0) {
      return requested;
    }
    String[] all = requested.split(":");
    if (ahead != null) {
      for (String b : all) {
        if (b.equals(ahead)) {
          return ahead;
        }
      }
    }
    return all[Math.floorMod(guestId.hashCode(), all.length)];
  }

  private SandboxShell prepareShell(ShellClass cls, int waitMs) throws GuestException {
    return prepareShell(cls, waitMs, null);
  }

  private SandboxShell prepareShell(ShellClass cls, int waitMs, String[] ahead)
      throws GuestException {
    if (closed) {
      throw new GuestException(Code.INVALID_STATE, "sandbox driver is closed");
    }
    if (cls.ports() < 0 || cls.ports() > 8) {
      throw new GuestException(Code.CONFIG_REJECTED, "ports: " + cls.ports() + " (0..8)");
    }
    for (int attempt = 0; ; attempt++) {
      String slot = newSlot();
      long t0 = System.nanoTime();
      try {
        journal.preparing(slot); // a kill -9 from here to persistShell leaves the marker
      } catch (IOException e) {
        throw new GuestException(Code.INTERNAL, "slot journal " + journal.file() + ": "
            + e.getMessage());
      }
      try {
        Pointer h;
        try {
          h = Noxs.prepare(slot, cls.ports(), cls.xconnectMask(),
              ahead == null ? null : String.join(",", java.util.Arrays.stream(ahead)
                  .map(b -> b == null ? "" : b).toList()),
              cls.memoryBytes(), cls.cpuWeight(), cls.pidsMax(), waitMs);
        } catch (GuestException e) {
          forget(slot); // the marker's removal
          throw e;
        }
        SandboxShell s = new SandboxShell(this, slot, cls, h, System.nanoTime() - t0, ahead);
        if (tracked != null) {
          tracked.add(slot);
        }
        shells.put(slot, s);
        persistShell(s); // supersedes the marker (the latest record of a slot wins)
        return s;
      } catch (GuestException e) {
        if (Noxs.status() == Noxs.EEXIST && attempt < 3) {
          continue; // slot name taken by another agent on this host: draw again
        }
        throw e;
      }
    }
  }

  /** nice +10 for the calling thread (the pool's refill threads; noxs.h); a failure is logged, not fatal. */
  @Override
  public void backgroundThread() {
    if (Noxs.lib().noxs_thread_background(Noxs.err()) < 0) {
      log.warn("{}: background priority not set: {}", Thread.currentThread().getName(), Noxs.message());
    }
  }

  @Override
  public Shell prepare(ShellClass shellClass) throws GuestException {
    return prepareShell(shellClass, opts.prepareWaitMs(), bridgesAhead(shellClass));
  }

  void discardShell(SandboxShell s) {
    shells.remove(s.slot);
    if (lib.noxs_shell_destroy(s.handle, Noxs.err()) < 0) {
      log.warn("discarding {}: {}", s, Noxs.message());
    }
    forget(s.slot);
  }

  /** Appends GONE for a slot (best effort: recovery treats a stale record as a dead guest). */
  private void forget(String slot) {
    try {
      journal.gone(slot);
    } catch (IOException e) {
      log.warn("slot journal: GONE {}: {}", slot, e.getMessage());
    }
  }

  private void persistShell(SandboxShell s) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("pid", Integer.toString(s.pid));
    p.put("startTime", Long.toString(s.startTime));
    p.put("ports", Integer.toString(s.shellClass.ports()));
    try {
      journal.shell(s.slot, p);
    } catch (IOException e) {
      log.warn("slot journal record for {}: {}", s, e.getMessage());
    }
  }

  /** Appends the guest's GUEST record (the Properties-style names of the old state file). */
  private void persistGuest(Guest g) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("pid", Integer.toString(g.pid));
    p.put("startTime", Long.toString(g.startTime));
    p.put("ports", Integer.toString(g.spec.ports().size()));
    p.put("guestId", g.id);
    p.put("generation", Long.toString(g.generation));
    p.put("state", g.state.name());
    p.put("nfType", String.valueOf(g.spec.nfType()));
    p.put("startedAt", Long.toString(g.startedAt));
    p.put("memoryBytes", Long.toString(g.spec.memoryBytes()));
    p.put("cpuWeight", Integer.toString(g.spec.cpuWeight()));
    p.put("pidsMax", Integer.toString(g.spec.pidsMax()));
    StringBuilder ports = new StringBuilder();
    for (PortSpec ps : g.spec.ports()) {
      ports.append(ps.name()).append(',');
    }
    p.put("portNames", ports.toString());
    g.spec.labels().forEach((k, v) -> p.put("label." + k, v));
    try {
      journal.guest(g.slot, p);
    } catch (IOException | RuntimeException e) {
      log.warn("slot journal record for guest {}: {}", g.id, e.getMessage());
    }
  }

  // ---------------------------------------------------------------- boot / restore

  private static void validate(GuestSpec spec) throws GuestException {
    if (spec == null) {
      throw new GuestException(Code.CONFIG_REJECTED, "spec: missing");
    }
    String id = spec.guestId();
    if (id == null || !ID.matcher(id).matches()) {
      throw new GuestException(Code.CONFIG_REJECTED,
          "guestId: 1-" + MAX_ID + " chars of [A-Za-z0-9._:-], got '" + id + "'");
    }
    if (spec.clickConfig() == null) {
      throw new GuestException(Code.CONFIG_REJECTED, "clickConfig: missing");
    }
    if (spec.clickConfig().getBytes(StandardCharsets.UTF_8).length > MAX_CONFIG) {
      throw new GuestException(Code.CONFIG_REJECTED, "clickConfig: longer than " + MAX_CONFIG
          + " bytes");
    }
    if (spec.ports() == null || spec.ports().size() > 8) {
      throw new GuestException(Code.CONFIG_REJECTED, "ports: 0..8 ports");
    }
    Set<String> names = new HashSet<>();
    for (PortSpec p : spec.ports()) {
      if (p.name() == null || !PORT.matcher(p.name()).matches()) {
        throw new GuestException(Code.CONFIG_REJECTED,
            "ports: name '" + p.name() + "' must be 1-15 chars of [A-Za-z0-9_]");
      }
      if (!names.add(p.name())) {
        throw new GuestException(Code.CONFIG_REJECTED, "ports: duplicate name '" + p.name() + "'");
      }
      if (p.bridge() != null && p.xconnect() != null) {
        throw new GuestException(Code.CONFIG_REJECTED,
            "ports." + p.name() + ": bridge and xconnect are exclusive");
      }
      if (p.bridge() != null && p.bridge().indexOf(':') >= 0) {
        for (String b : p.bridge().split(":", -1)) {
          if (!IFNAME.matcher(b).matches()) {
            throw new GuestException(Code.CONFIG_REJECTED, "ports." + p.name() + ".bridge: '"
                + p.bridge() + "': each of the bridges separated by ':' must be an interface"
                + " name of 1-15 chars without '/' or blanks");
          }
        }
      }
    }
  }

  @Override
  public GuestInfo boot(GuestSpec spec, Optional<Shell> shell) throws GuestException {
    return start(spec, shell, null);
  }

  @Override
  public GuestInfo restore(GuestSpec spec, byte[] checkpoint, Optional<Shell> shell)
      throws GuestException {
    if (checkpoint == null || checkpoint.length == 0) {
      throw new GuestException(Code.CONFIG_REJECTED, "checkpoint: empty");
    }
    if (checkpoint.length > MAX_CHECKPOINT) {
      throw new GuestException(Code.CONFIG_REJECTED, "checkpoint: larger than 256 MiB");
    }
    return start(spec, shell, checkpoint);
  }

  private GuestInfo start(GuestSpec spec, Optional<Shell> offered, byte[] blob)
      throws GuestException {
    validate(spec);
    long t0 = System.nanoTime();
    Guest existing = guests.get(spec.guestId());
    if (existing != null) {
      if (existing.generation == spec.generation() && existing.state != GuestState.CRASHED) {
        offered.ifPresent(Shell::discard); // idempotent repeat of the same command
        return info(existing);
      }
      throw new GuestException(Code.INVALID_STATE, "guest " + spec.guestId()
          + " already exists (generation " + existing.generation + ", " + existing.state + ")");
    }
    SandboxShell sh = null;
    if (offered.isPresent() && offered.get() instanceof SandboxShell s && s.ownedBy(this)
        && s.shellClass.equals(spec.shellClass()) && s.claim()) {
      if (lib.noxs_shell_alive(s.handle) == 1) {
        sh = s;
      } else {
        discardShell(s); // died while waiting in the pool: cold path
      }
    } else {
      offered.ifPresent(Shell::discard);
    }
    boolean pooled = sh != null;
    if (sh == null) {
      sh = prepareShell(spec.shellClass(), 0); // cold: no wait, the kick waits in the eventfd
      sh.claim();
    }
    long t1 = System.nanoTime();
    Guest g = new Guest(spec.guestId(), sh.slot, tokens.incrementAndGet());
    g.spec = spec;
    g.generation = spec.generation();
    g.state = GuestState.BOOTING;
    g.handle = sh.handle;
    g.pid = sh.pid;
    g.startTime = sh.startTime;
    g.startedAt = System.currentTimeMillis();
    if (guests.putIfAbsent(g.id, g) != null) {
      discardShell(sh);
      throw new GuestException(Code.INVALID_STATE, "guest " + g.id + " is being created");
    }
    shells.remove(sh.slot);
    try {
      synchronized (g) {
        emit(g, GuestState.BOOTING, pooled ? "pooled shell " + sh.slot : "cold shell " + sh.slot);
        List<PortSpec> ports = spec.ports();
        for (int i = 0; i < ports.size(); i++) {
          PortSpec p = ports.get(i);
          String bridge = chooseBridge(p.bridge(), sh.ahead(i), g.id);
          Noxs.check(lib.noxs_shell_port_attach(sh.handle, i, p.name(), p.mac(), bridge,
              p.xconnect(), Noxs.err()), "port " + p.name());
        }
        long t2 = System.nanoTime();
        if (blob == null) {
          Noxs.check(lib.noxs_guest_boot(sh.handle, g.id, g.generation, spec.clickConfig(),
              opts.requestTimeoutMs(), Noxs.err()), "boot");
        } else {
          Noxs.check(lib.noxs_guest_restore(sh.handle, g.id, g.generation, spec.clickConfig(),
              blob, blob.length, opts.requestTimeoutMs(), Noxs.err()), "restore");
        }
        long t3 = System.nanoTime();
        Noxs.check(lib.noxs_watch_add(watchFd, sh.handle, g.token, Noxs.err()), "watch");
        byToken.put(g.token, g);
        g.state = GuestState.RUNNING;
        Map<String, Double> tm = new LinkedHashMap<>();
        tm.put("prepare", pooled ? 0.0 : (t1 - t0) / 1e6);
        tm.put("attach", (t2 - t1) / 1e6);
        tm.put(blob == null ? "boot" : "restore", (t3 - t2) / 1e6);
        tm.put("pooled", pooled ? 1.0 : 0.0);
        long t4 = System.nanoTime();
        g.persistPending = true; // write-behind (persistLoop); crash-safe through the page
        pendingWrites.incrementAndGet();
        toPersist.add(g);
        tm.put("persist", (System.nanoTime() - t4) / 1e6);
        tm.put("total", (System.nanoTime() - t0) / 1e6);
        g.timings = Map.copyOf(tm);
        emit(g, GuestState.RUNNING, blob == null ? "booted" : "restored");
        return info(g);
      }
    } catch (GuestException | RuntimeException e) {
      synchronized (g) {
        byToken.remove(g.token);
        if (g.handle != null) {
          lib.noxs_watch_del(watchFd, g.handle);
          if (lib.noxs_shell_destroy(g.handle, Noxs.err()) < 0) {
            log.warn("cleanup after failed boot of {}: {}", g.id, Noxs.message());
          }
          g.handle = null;
        }
        forget(g.slot);
        guests.remove(g.id, g);
        g.state = GuestState.FAILED;
        emit(g, GuestState.FAILED, e.getMessage());
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- operations

  private Guest get(String id) throws GuestException {
    Guest g = id == null ? null : guests.get(id);
    if (g == null) {
      throw new GuestException(Code.NOT_FOUND, "no guest '" + id + "' on this node");
    }
    return g;
  }

  private static GuestException wrongState(Guest g, String op) {
    return new GuestException(Code.INVALID_STATE,
        "cannot " + op + " guest " + g.id + ": it is " + g.state);
  }

  @Override
  public void pause(String guestId) throws GuestException {
    Guest g = get(guestId);
    synchronized (g) {
      if (g.state == GuestState.PAUSED) {
        throw new GuestException(Code.INVALID_STATE, "guest " + g.id + " is already paused");
      }
      if (g.state != GuestState.RUNNING || g.handle == null) {
        throw wrongState(g, "pause");
      }
      Noxs.check(lib.noxs_guest_pause(g.handle, Noxs.err()), "pause " + g.id);
      g.state = GuestState.PAUSED;
      persistGuest(g);
      emit(g, GuestState.PAUSED, "frozen");
    }
  }

  @Override
  public void unpause(String guestId) throws GuestException {
    Guest g = get(guestId);
    synchronized (g) {
      if (g.handle == null) {
        throw wrongState(g, "unpause");
      }
      if (g.state == GuestState.PAUSED) {
        Noxs.check(lib.noxs_guest_unpause(g.handle, Noxs.err()), "unpause " + g.id);
      } else if (g.state == GuestState.CHECKPOINTED) {
        Noxs.check(lib.noxs_guest_resume(g.handle, opts.requestTimeoutMs(), Noxs.err()),
            "resume " + g.id);
      } else if (g.state == GuestState.RUNNING) {
        throw new GuestException(Code.INVALID_STATE, "guest " + g.id + " is not paused");
      } else {
        throw wrongState(g, "unpause");
      }
      g.state = GuestState.RUNNING;
      persistGuest(g);
      emit(g, GuestState.RUNNING, "resumed");
    }
  }

  @Override
  public byte[] checkpoint(String guestId) throws GuestException {
    Guest g = get(guestId);
    synchronized (g) {
      if (g.handle == null
          || (g.state != GuestState.RUNNING && g.state != GuestState.PAUSED)) {
        throw wrongState(g, "checkpoint");
      }
      if (g.state == GuestState.PAUSED) { // a frozen guest cannot serialise itself
        Noxs.check(lib.noxs_guest_unpause(g.handle, Noxs.err()), "checkpoint " + g.id);
        g.state = GuestState.RUNNING;
      }
      long n = lib.noxs_guest_checkpoint(g.handle, opts.requestTimeoutMs(), Noxs.err());
      Noxs.check((int) Math.max(Math.min(n, 0), -1), "checkpoint " + g.id);
      if (n > MAX_CHECKPOINT) {
        throw new GuestException(Code.INTERNAL, "checkpoint of " + g.id + ": " + n + " bytes");
      }
      byte[] blob = new byte[(int) n];
      long got = lib.noxs_guest_read_bulk(g.handle, blob, n, Noxs.err());
      Noxs.check((int) Math.max(Math.min(got, 0), -1), "checkpoint " + g.id);
      g.state = GuestState.CHECKPOINTED;
      persistGuest(g);
      emit(g, GuestState.CHECKPOINTED, n + " bytes");
      return blob;
    }
  }

  /** Live import (issue 6): thaw a guest booted ahead and paused, then sysctl IMPORT. */
  @Override
  public void importState(String guestId, byte[] checkpoint) throws GuestException {
    if (checkpoint == null || checkpoint.length < 16) {
      throw new GuestException(Code.CONFIG_REJECTED, "checkpoint: "
          + (checkpoint == null ? 0 : checkpoint.length) + " bytes, not a checkpoint");
    }
    if (checkpoint.length > MAX_CHECKPOINT) {
      throw new GuestException(Code.CONFIG_REJECTED, "checkpoint: larger than 256 MiB");
    }
    Guest g = get(guestId);
    synchronized (g) {
      if (g.handle == null || (g.state != GuestState.RUNNING && g.state != GuestState.PAUSED)) {
        throw wrongState(g, "import state into");
      }
      boolean paused = g.state == GuestState.PAUSED;
      if (paused) { // a frozen guest cannot answer the request
        Noxs.check(lib.noxs_guest_unpause(g.handle, Noxs.err()), "import into " + g.id);
      }
      if (lib.noxs_guest_import(g.handle, checkpoint, checkpoint.length, opts.requestTimeoutMs(),
          Noxs.err()) < 0) {
        GuestException e = Noxs.failure("import into " + g.id);
        if (paused && lib.noxs_guest_pause(g.handle, Noxs.err()) < 0) {
          log.warn("re-pausing {} after a refused import: {}", g.id, Noxs.message());
          g.state = GuestState.RUNNING;
        }
        throw e;
      }
      if (paused) {
        g.state = GuestState.RUNNING;
        persistGuest(g);
        emit(g, GuestState.RUNNING, "state imported");
      }
    }
  }

  @Override
  public void writeHandler(String guestId, String handler, String value) throws GuestException {
    Guest g = get(guestId);
    synchronized (g) {
      if (g.handle == null || g.state != GuestState.RUNNING) {
        throw wrongState(g, "write a handler of");
      }
      Noxs.check(lib.noxs_guest_write_handler(g.handle, handler, value == null ? "" : value,
          opts.requestTimeoutMs(), Noxs.err()), "guest " + g.id);
    }
  }

  @Override
  public Map<String, String> readHandlers(String guestId) throws GuestException {
    Guest g = get(guestId);
    byte[] buf = new byte[8 * 1024 + 1];
    int n;
    synchronized (g) {
      if (g.handle == null || (g.state != GuestState.RUNNING
          && g.state != GuestState.CHECKPOINTED && g.state != GuestState.PAUSED)) {
        throw wrongState(g, "read handlers of");
      }
      // a paused guest cannot answer; read the last exported values without a refresh
      int timeout = g.state == GuestState.RUNNING ? opts.requestTimeoutMs() : 0;
      n = g.state == GuestState.RUNNING
          ? lib.noxs_guest_read_stats(g.handle, buf, buf.length, timeout, Noxs.err())
          : staleStats(g, buf);
      Noxs.check(n, "guest " + g.id + " handlers");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Noxs.cstring(buf, n).split("\n")) {
      int sp = line.indexOf(' ');
      if (sp > 0) {
        out.put(line.substring(0, sp), line.substring(sp + 1));
      } else if (!line.isBlank()) {
        out.put(line, "");
      }
    }
    return out;
  }

  private int staleStats(Guest g, byte[] buf) {
    // read_stats only refreshes while RUNNING; in other states it copies the area as is
    return lib.noxs_guest_read_stats(g.handle, buf, buf.length, 0, Noxs.err());
  }

  @Override
  public void destroy(String guestId) throws GuestException {
    Guest g = guestId == null ? null : guests.get(guestId);
    if (g == null) {
      return; // unknown or already destroyed: idempotent
    }
    synchronized (g) {
      if (g.state == GuestState.DESTROYED) {
        return;
      }
      byToken.remove(g.token);
      String err = null;
      if (g.handle != null) {
        lib.noxs_watch_del(watchFd, g.handle);
        if (lib.noxs_shell_destroy(g.handle, Noxs.err()) < 0) {
          err = Noxs.message();
        }
        g.handle = null;
      }
      forget(g.slot);
      guests.remove(g.id, g);
      g.state = GuestState.DESTROYED;
      emit(g, GuestState.DESTROYED, err == null ? "destroyed" : "destroyed with errors: " + err);
      if (err != null) {
        throw new GuestException(Code.INTERNAL, "destroy " + g.id + ": " + err);
      }
    }
  }

  @Override
  public Optional<GuestInfo> inspect(String guestId) {
    Guest g = guestId == null ? null : guests.get(guestId);
    return g == null ? Optional.empty() : Optional.of(info(g));
  }

  @Override
  public List<GuestInfo> list() {
    List<GuestInfo> out = new ArrayList<>();
    for (Guest g : guests.values()) {
      out.add(info(g));
    }
    return out;
  }

  /** Number of guests in the table (O(1)). */
  public int size() {
    return guests.size();
  }

  /** Slots created or adopted so far (empty unless -Dmayfly.sandbox.trackSlots=true). */
  public Set<String> trackedSlots() {
    return tracked == null ? Set.of() : Set.copyOf(tracked);
  }

  /** The slot (cgroup "mayfly/SLOT", host veths "mfSLOThN") of a guest; for tests and the CLI. */
  public Optional<String> slotOf(String guestId) {
    Guest g = guestId == null ? null : guests.get(guestId);
    return g == null ? Optional.empty() : Optional.of(g.slot);
  }

  private static GuestInfo info(Guest g) {
    Map<String, String> labels = new LinkedHashMap<>(g.spec.labels() == null ? Map.of()
        : g.spec.labels());
    labels.put("sandbox.slot", g.slot);
    return new GuestInfo(g.id, g.generation, g.state, g.pid, g.spec.nfType(), g.startedAt,
        g.timings, labels);
  }

  // ---------------------------------------------------------------- events, crashes

  @Override
  public void addListener(Consumer<GuestEvent> listener) {
    listeners.add(listener);
  }

  private void emit(Guest g, GuestState s, String reason) {
    GuestEvent ev = new GuestEvent(g.id, g.generation, s, reason, System.currentTimeMillis());
    for (Consumer<GuestEvent> l : listeners) {
      try {
        l.accept(ev);
      } catch (RuntimeException e) {
        log.warn("guest event listener failed: {}", e.toString());
      }
    }
  }

  private void watchLoop() {
    long[] toks = new long[64];
    while (!closed) {
      int n = lib.noxs_watch_wait(watchFd, toks, toks.length, 500, Noxs.err());
      if (n < 0) {
        log.warn("exit watch: {}", Noxs.message());
        continue;
      }
      for (int i = 0; i < n; i++) {
        Guest g = byToken.remove(toks[i]);
        if (g != null) {
          crashed(g, "guest process exited");
        }
      }
    }
  }

  private void crashed(Guest g, String why) {
    synchronized (g) {
      if (g.handle == null || g.state == GuestState.DESTROYED) {
        return; // being destroyed by us
      }
      String detail = why;
      if (lib.noxs_shell_state(g.handle) == 6) {
        detail = "guest powered off";
      }
      if (lib.noxs_shell_destroy(g.handle, Noxs.err()) < 0) { // reap + release veths, cgroup
        detail += " (cleanup: " + Noxs.message() + ")";
      }
      g.handle = null;
      forget(g.slot);
      g.state = GuestState.CRASHED;
      emit(g, GuestState.CRASHED, detail);
    }
  }

  // ---------------------------------------------------------------- recovery

  @Override
  public List<GuestInfo> recover() throws GuestException {
    List<GuestInfo> adopted = new ArrayList<>();
    // the records the previous agent left (replayed when this driver opened the journal)
    for (SlotJournal.Entry e : journal.replayed().values()) {
      if (e.kind != SlotJournal.Kind.SHELL && e.kind != SlotJournal.Kind.GUEST) {
        continue; // PREPARING: recoverPrepareWindow()
      }
      String slot = e.slot;
      if (journal.get(slot) != e) {
        continue; // superseded since (this agent's own record, or already recovered)
      }
      Properties p = e.properties();
      if (tracked != null) {
        tracked.add(slot);
      }
      if (shells.containsKey(slot) || isKnownSlot(slot)) {
        continue; // ours already
      }
      int nports;
      int pid;
      long st;
      try {
        nports = Integer.parseInt(p.getProperty("ports", "0"));
        pid = Integer.parseInt(p.getProperty("pid", "0"));
        st = Long.parseLong(p.getProperty("startTime", "0"));
        if (nports < 0 || nports > 8) {
          throw new NumberFormatException("ports " + nports);
        }
        Long.parseLong(p.getProperty("generation", "0"));
        Long.parseLong(p.getProperty("startedAt", "0"));
        specFrom(p);
        GuestState.valueOf(p.getProperty("state", "RUNNING"));
      } catch (IllegalArgumentException bad) { // an old state file's garbage: leave it alone
        log.warn("recover: {} record of slot {}: {}", e.kind, slot, bad.getMessage());
        continue;
      }
      Pointer h = null;
      try {
        h = Noxs.adopt(slot, pid, st, nports);
      } catch (GuestException gone) {
        log.info("recover: slot {} (pid {}) is gone: {}", slot, pid, gone.getMessage());
      }
      if (!"guest".equals(p.getProperty("kind")) && h != null) {
        // a shell whose page holds a booted guest: the write-behind had not appended its
        // GUEST record when the old agent died; the page says which guest it is
        byte[] ib = new byte[1024];
        String[] ident = Noxs.cstring(ib, Math.max(0, lib.noxs_shell_identity(h, ib, ib.length)))
            .split("\n", -1);
        if (ident.length >= 3 && !ident[0].isEmpty() && ident[1].matches("[0-9]{1,18}")) {
          p.setProperty("fromPage", "true");
          p.setProperty("kind", "guest");
          p.setProperty("guestId", ident[0]);
          p.setProperty("generation", ident[1]);
          p.setProperty("portNames", ident[2]);
          p.setProperty("state", "RUNNING");
          log.info("recover: slot {} holds guest {} (from its page; labels not recorded)", slot,
              ident[0]);
        }
      }
      if (!"guest".equals(p.getProperty("kind"))) { // a pooled shell of the old agent
        if (h != null) {
          lib.noxs_shell_destroy(h, Noxs.err());
        } else {
          lib.noxs_slot_cleanup(slot, nports, Noxs.err());
        }
        forget(slot);
        continue;
      }
      Guest g = new Guest(p.getProperty("guestId"), slot, tokens.incrementAndGet());
      g.generation = Long.parseLong(p.getProperty("generation", "0"));
      g.pid = pid;
      g.startTime = st;
      g.startedAt = Long.parseLong(p.getProperty("startedAt", "0"));
      g.spec = specFrom(p);
      if (g.id == null || guests.containsKey(g.id)) {
        if (h != null) {
          lib.noxs_shell_release(h);
        }
        continue;
      }
      synchronized (g) {
        if (h == null) {
          lib.noxs_slot_cleanup(slot, nports, Noxs.err());
          forget(slot);
          g.state = GuestState.CRASHED;
          guests.put(g.id, g);
          emit(g, GuestState.CRASHED, "guest exited while the agent was down");
          continue;
        }
        g.handle = h;
        GuestState recorded = GuestState.valueOf(p.getProperty("state", "RUNNING"));
        int pageState = lib.noxs_shell_state(h);
        g.state = switch (pageState) {
          case 5 -> GuestState.CHECKPOINTED;
          case 3 -> recorded == GuestState.PAUSED ? GuestState.PAUSED : GuestState.RUNNING;
          default -> recorded;
        };
        g.timings = Map.of();
        guests.put(g.id, g);
        byToken.put(g.token, g);
        if (lib.noxs_watch_add(watchFd, h, g.token, Noxs.err()) < 0
            || lib.noxs_shell_alive(h) != 1) {
          byToken.remove(g.token);
          crashed(g, "guest exited during recovery");
          continue;
        }
        if (p.getProperty("fromPage") != null) {
          persistGuest(g); // its own GUEST record now
        }
        emit(g, g.state, "adopted after agent restart");
        adopted.add(info(g));
      }
    }
    recoverPrepareWindow();
    reapOrphanCgroups();
    return adopted;
  }

  /**
   * Slots whose prepare was cut short by a kill of the old agent (a PREPARING record that is
   * still the slot's latest): kills what their cgroups hold (a runtime that had already exec'd
   * and joined), deletes their links and cgroups, appends GONE.
   */
  private void recoverPrepareWindow() {
    for (SlotJournal.Entry e : journal.replayed().values()) {
      String slot = e.slot;
      if (e.kind != SlotJournal.Kind.PREPARING || journal.get(slot) != e) {
        continue; // finished after all (a later record covers it), or already handled
      }
      if (shells.containsKey(slot)) {
        continue;
      }
      if (tracked != null) {
        tracked.add(slot);
      }
      int killed = killCgroupTasks(slot);
      lib.noxs_slot_cleanup(slot, 8, Noxs.err());
      forget(slot);
      log.info("recover: slot {} was being prepared when the old agent died: cleaned up"
          + " ({} process(es) killed)", slot, killed);
    }
  }

  private List<Path> cgroupDirs(String slot) {
    List<Path> out = new ArrayList<>();
    if ("v2".equals(hostFacts.get("cgroup"))) {
      out.add(Path.of(hostFacts.getOrDefault("cgroup_v2_base", "/sys/fs/cgroup"), "mayfly", slot));
    } else {
      for (String c : List.of("memory", "cpu", "pids", "freezer")) {
        out.add(Path.of("/sys/fs/cgroup", c, "mayfly", slot));
      }
    }
    return out;
  }

  private int killCgroupTasks(String slot) {
    int killed = 0;
    for (Path dir : cgroupDirs(slot)) {
      try {
        for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
          if (!pid.isBlank()) {
            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
            killed++;
          }
        }
      } catch (IOException | NumberFormatException e) {
        // no such cgroup (or gone): nothing to kill there
      }
    }
    if (killed > 0) { // the tasks leave their cgroups asynchronously: give them a moment
      for (int i = 0; i < 200 && cgroupBusy(slot); i++) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    return killed;
  }

  private boolean cgroupBusy(String slot) {
    for (Path dir : cgroupDirs(slot)) {
      try {
        if (!Files.readString(dir.resolve("cgroup.procs")).isBlank()) {
          return true;
        }
      } catch (IOException e) {
        // gone
      }
    }
    return false;
  }

  /** Minimum age of an empty, unknown slot cgroup before recovery removes it. */
  static final long ORPHAN_CGROUP_AGE_MS = 60_000;

  /**
   * Empty slot cgroups that no journal record of this agent covers and that are older than a
   * minute (so that another agent on this host, mid-prepare, is not disturbed): left by a
   * crashed agent or a destroy whose rmdir gave up. Recovery only (O(cgroups) by nature).
   */
  private void reapOrphanCgroups() {
    List<Path> parents = new ArrayList<>();
    if ("v2".equals(hostFacts.get("cgroup"))) {
      parents.add(Path.of(hostFacts.getOrDefault("cgroup_v2_base", "/sys/fs/cgroup"), "mayfly"));
    } else {
      for (String c : List.of("memory", "cpu", "pids", "freezer")) {
        parents.add(Path.of("/sys/fs/cgroup", c, "mayfly"));
      }
    }
    Set<String> ours = new HashSet<>(shells.keySet());
    for (Guest g : guests.values()) {
      ours.add(g.slot);
    }
    long now = System.currentTimeMillis();
    int removed = 0;
    for (Path parent : parents) {
      List<Path> dirs = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, Files::isDirectory)) {
        ds.forEach(dirs::add);
      } catch (IOException e) {
        continue;
      }
      for (Path d : dirs) {
        String slot = d.getFileName().toString();
        if (ours.contains(slot) || journal.has(slot)) {
          continue;
        }
        try {
          long age = now - Files.getLastModifiedTime(d).toMillis();
          if (age < ORPHAN_CGROUP_AGE_MS || !Files.readString(d.resolve("cgroup.procs")).isBlank()) {
            continue;
          }
          Files.delete(d); // rmdir of an empty cgroup
          removed++;
        } catch (IOException | RuntimeException e) {
          // busy, raced with its owner, or already gone: leave it
        }
      }
    }
    if (removed > 0) {
      log.info("recover: removed {} empty orphan cgroup dir(s) under mayfly/", removed);
    }
  }

  private boolean isKnownSlot(String slot) {
    for (Guest g : guests.values()) { // recovery only (O(n) by nature)
      if (g.slot.equals(slot)) {
        return true;
      }
    }
    return false;
  }

  private static GuestSpec specFrom(Properties p) {
    List<PortSpec> ports = new ArrayList<>();
    for (String n : p.getProperty("portNames", "").split(",")) {
      if (!n.isEmpty()) {
        ports.add(new PortSpec(n, null, null, null));
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("label.")) {
        labels.put(k.substring(6), p.getProperty(k));
      }
    }
    return new GuestSpec(p.getProperty("guestId"), Long.parseLong(p.getProperty("generation", "0")),
        p.getProperty("nfType", "unknown"), "", ports,
        Long.parseLong(p.getProperty("memoryBytes", "0")),
        Integer.parseInt(p.getProperty("cpuWeight", "100")),
        Integer.parseInt(p.getProperty("pidsMax", "0")), labels);
  }

  // ---------------------------------------------------------------- close

  /** Releases handles and stops the watcher; guests keep running (agent restart). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      persister.join(10_000); // drains the write-behind queue first
      watcher.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Guest g : guests.values()) {
      synchronized (g) {
        if (g.handle != null) {
          lib.noxs_shell_release(g.handle);
          g.handle = null;
        }
      }
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    for (SandboxShell s : shells.values()) {
      if (s.claim()) { // shells nobody took: they would be orphans, discard them
        if (System.nanoTime() < deadline) {
          discardShell(s);
        } else { // bounded: the SHELL record stays, the next agent start destroys it
          lib.noxs_shell_release(s.handle);
        }
      }
    }
    journal.close();
    lib.noxs_watch_close(watchFd);
  }
}
