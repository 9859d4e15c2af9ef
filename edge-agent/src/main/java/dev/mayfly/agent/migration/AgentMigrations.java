package dev.mayfly.agent.migration;

import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestException.Code;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.migration.checkpoint.Checkpoint;
import dev.mayfly.migration.checkpoint.CheckpointFormatException;
import dev.mayfly.migration.checkpoint.CheckpointReader;
import dev.mayfly.migration.checkpoint.CheckpointWriter;
import dev.mayfly.migration.transfer.MigrationReceiver;
import dev.mayfly.migration.transfer.MigrationSender;
import dev.mayfly.migration.transfer.OpenTransfer;
import dev.mayfly.migration.transfer.TransferOptions;
import dev.mayfly.migration.transfer.TransferResult;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.Timing;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration actions of one agent. Target side: one {@link MigrationReceiver} on the agent's
 * data-plane address; {@code ExpectMigration} announces a transfer ({@code receiver.expect}). With
 * a spec (live migration) it also boots the guest now and freezes it, and the transfer's commit
 * thaws it and imports the state ({@link GuestDriver.StateImport}) before DONE goes back; without
 * one, {@code RestoreMigrated} later waits for the verified bytes and restores them into a pooled
 * shell. Source side: {@code MigrateOut{open_only}} opens the TLS connection ahead of the pause;
 * {@code MigrateOut{live}} runs the whole downtime (checkpoint, stream, the target's import) and
 * answers with the phase timings, resuming the guest here on any failure;
 * {@code CheckpointGuest{migration_id}} + {@code MigrateOut} are the stop-and-copy steps (the
 * MFCK checkpoint is kept here, never sent to the controller; one sender TLS context per target
 * node, cached). {@code CancelMigration} drops both. Held checkpoints expire after {@link #HOLD}.
 * At start the transfer path is warmed up in the background ({@link #warmedUp()}).
 */
public final class AgentMigrations implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentMigrations.class);
  static final Duration HOLD = Duration.ofMinutes(5);

  /** How the dispatcher maps the southbound spec and takes a pooled shell. */
  public interface Specs {
    GuestSpec spec(dev.mayfly.southbound.v1.GuestSpec s);

    Optional<Shell> shell(GuestSpec spec);
  }

  /** Makes the sender TLS context for a target node. */
  public interface ClientTls {
    SslContext forNode(String node) throws IOException;
  }

  private record Held(byte[] bytes, long at) {}

  private final MigrationReceiver receiver;
  private final ClientTls clientTls;
  private final TransferOptions options;
  private final Map<String, MigrationSender> senders = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<byte[]>> expected = new ConcurrentHashMap<>();
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final Map<String, OpenTransfer> opened = new ConcurrentHashMap<>();
  private final java.util.concurrent.ExecutorService background = java.util.concurrent.Executors
      .newCachedThreadPool(r -> {
        Thread t = new Thread(r, "migration-cleanup");
        t.setDaemon(true);
        return t;
      });
  private final String nodeName;

  private AgentMigrations(String nodeName, MigrationReceiver receiver, ClientTls clientTls, TransferOptions o) {
    this.nodeName = nodeName;
    this.receiver = receiver;
    this.clientTls = clientTls;
    this.options = o;
  }

  /**
   * Starts the receiver on {@code bindAddress} ("host:port"; port 0 picks one).
   */
  public static AgentMigrations start(String nodeName, SslContext server, ClientTls clientTls, String bindAddress,
      TransferOptions options) throws IOException {
    HostPort hp;
    try {
      hp = HostPort.parse(bindAddress, "data-plane address");
    } catch (GuestException e) {
      throw new IOException(e.getMessage(), e);
    }
    AgentMigrations m;
    try {
      m = new AgentMigrations(nodeName, MigrationReceiver.start(server, hp.host(), hp.port(), options), clientTls,
          options);
    } catch (dev.mayfly.migration.transfer.TransferException e) {
      throw new IOException("data-plane address " + bindAddress + ": " + e.getMessage(), e);
    }
    int mb = Integer.getInteger(WARMUP_PROPERTY, DEFAULT_WARMUP_MIB);
    String self = hp.host().equals("0.0.0.0") || hp.host().equals("::") || hp.host().isEmpty() ? "127.0.0.1"
        : hp.host();
    if (mb > 0) {
      Thread t = new Thread(() -> m.warmUp(self, mb), "migration-warmup");
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      t.start();
    } else {
      m.warm.complete(0);
    }
    return m;
  }

  /** The clickos runtime's standby pseudo-handler (clickos-images/include/noxs_page.h). */
  static final String STANDBY_HANDLER = "noxs.standby";

  /** System property: MiB of loopback transfers that warm the JIT at start (0: none). */
  public static final String WARMUP_PROPERTY = "mayfly.migration.warmup.mib";
  static final int DEFAULT_WARMUP_MIB = 64;
  private final CompletableFuture<Integer> warm = new CompletableFuture<>();

  /**
   * Completes with the MiB sent once the start-up warm-up ended: loopback transfers (to this
   * agent's own receiver, same TLS, codec, CRC and checkpoint paths) until 1 MiB takes under
   * 3 ms three times in a row, or {@code mib} MiB were sent. Measured (docs/migration.md): a cold
   * JVM streams 290 KB in 20-130 ms, almost all of it the JDK's AES-GCM/GHASH running before C2
   * has compiled it; warm, 0.7-1 ms. Migrations are rare, so without this the first ones of an
   * agent's life would pay it inside their downtime.
   */
  public CompletableFuture<Integer> warmedUp() {
    return warm;
  }

  private void warmUp(String self, int mib) {
    int sent = 0;
    try {
      byte[] state = new byte[1 << 20];
      new java.util.Random(7).nextBytes(state);
      byte[] cp = new CheckpointWriter().write(Checkpoint.builder("warmup", 1, "warmup").elementState(state).build());
      String token = java.util.UUID.randomUUID().toString();
      MigrationSender s = sender(nodeName);
      int fast = 0;
      for (; sent < mib && fast < 3 && !closed.get(); sent++) {
        String id = "warmup-" + java.util.UUID.randomUUID();
        CompletableFuture<byte[]> in = receiver.expect(id, "warmup", token, Duration.ofSeconds(30));
        TransferResult r = s.open(self, receiver.port(), id, token).get(30, TimeUnit.SECONDS)
            .send(cp).get(30, TimeUnit.SECONDS);
        in.get(30, TimeUnit.SECONDS);
        fast = r.millis() < 3.0 ? fast + 1 : 0;
      }
      log.info("migration transfer path warmed up with {} MiB of loopback transfers", sent);
    } catch (Exception e) {
      log.info("migration warm-up stopped after {} MiB: {}", sent, e.getMessage());
    } finally {
      warm.complete(sent);
    }
  }

  /** The port the receiver listens on. */
  public int port() {
    return receiver.port();
  }

  /** Whether {@code cmd} is a migration action (or a checkpoint for a migration). */
  public static boolean isMigration(Command cmd) {
    return switch (cmd.getActionCase()) {
      case EXPECT_MIGRATION, MIGRATE_OUT, RESTORE_MIGRATED, CANCEL_MIGRATION -> true;
      case CHECKPOINT -> !cmd.getCheckpoint().getMigrationId().isEmpty();
      default -> false;
    };
  }

  /** Runs a migration action (on a dispatcher worker; may block up to the transfer timeout). */
  public void apply(Command cmd, GuestDriver d, Specs specs, CommandResult.Builder out) throws GuestException {
    expire();
    String id = cmd.getGuestId();
    switch (cmd.getActionCase()) {
      case EXPECT_MIGRATION -> {
        var e = cmd.getExpectMigration();
        String mig = e.getMigrationId();
        Duration timeout = Duration.ofMillis(e.getTimeoutMs() > 0 ? e.getTimeoutMs() : 60_000);
        if (!expected.containsKey(mig)) {
          if (e.hasSpec()) {
            expectLive(cmd, d, specs, mig, timeout, out);
            return;
          }
          try {
            expected.put(mig, receiver.expect(mig, id, e.getToken(), timeout));
          } catch (IllegalArgumentException | IllegalStateException ex) {
            throw new GuestException(Code.CONFIG_REJECTED, "expect_migration: " + ex.getMessage());
          }
        }
      }
      case CHECKPOINT -> {
        GuestDriver.Checkpointable c = checkpointable(d);
        GuestInfo info = d.inspect(id).orElseThrow(() -> new GuestException(Code.NOT_FOUND,
            "guest " + id + " does not exist"));
        long t0 = System.nanoTime();
        byte[] blob = c.checkpoint(id);
        long t1 = System.nanoTime();
        byte[] cp;
        try {
          cp = new CheckpointWriter().write(Checkpoint.builder(id, info.generation(), info.nfType())
              .elementState(blob).metadata(Map.of("source", nodeName)).flags(1).build());
        } catch (CheckpointFormatException ex) {
          throw new GuestException(Code.INTERNAL, "checkpoint of " + id + ": " + ex.getMessage());
        }
        held.put(cmd.getCheckpoint().getMigrationId(), new Held(cp, System.nanoTime()));
        out.putAllHandlers(summarize(blob)); // what the checkpoint holds, for the operation
        out.setCheckpointBytes(cp.length).setState(dev.mayfly.southbound.v1.GuestState.CHECKPOINTED)
            .addTimings(timing("checkpoint", t1 - t0)).addTimings(timing("encode", System.nanoTime() - t1));
      }
      case MIGRATE_OUT -> {
        var m = cmd.getMigrateOut();
        if (m.getLive()) {
          migrateLive(cmd, d, out);
          return;
        }
        if (m.getOpenOnly()) { // ahead of the pause: TCP + TLS + HELLO out of the downtime
          HostPort hp = HostPort.parse(m.getTargetAddress(), "target_address");
          try {
            OpenTransfer ot = sender(m.getTargetNode()).open(hp.host(), hp.port(), m.getMigrationId(), m.getToken())
                .get(options.connectTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            OpenTransfer prev = opened.put(m.getMigrationId(), ot);
            if (prev != null) {
              prev.abort("replaced by a new connection");
            }
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new GuestException(Code.INTERNAL, "migrate_out interrupted");
          } catch (ExecutionException ex) {
            throw new GuestException(Code.INTERNAL, "connection to " + m.getTargetAddress() + " failed: "
                + ex.getCause().getMessage());
          } catch (TimeoutException ex) {
            throw new GuestException(Code.INTERNAL, "connection to " + m.getTargetAddress() + " timed out");
          }
          return;
        }
        Held h = held.get(m.getMigrationId());
        if (h == null) {
          throw new GuestException(Code.INVALID_STATE, "migrate_out: no checkpoint of migration "
              + m.getMigrationId() + " is held here (checkpoint first)");
        }
        HostPort hp = HostPort.parse(m.getTargetAddress(), "target_address");
        MigrationSender sender = sender(m.getTargetNode());
        OpenTransfer ot = opened.remove(m.getMigrationId());
        TransferResult r;
        try {
          r = (ot != null ? ot.send(h.bytes())
              : sender.send(hp.host(), hp.port(), m.getMigrationId(), m.getToken(), h.bytes()))
              .get(options.transferTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new GuestException(Code.INTERNAL, "migrate_out interrupted");
        } catch (ExecutionException ex) {
          throw new GuestException(Code.INTERNAL, "transfer to " + m.getTargetAddress() + " failed: "
              + ex.getCause().getMessage());
        } catch (TimeoutException ex) {
          throw new GuestException(Code.INTERNAL, "transfer to " + m.getTargetAddress() + " timed out");
        }
        held.remove(m.getMigrationId());
        out.setCheckpointBytes(r.bytes()).addTimings(Timing.newBuilder().setPhase("transfer").setMillis(r.millis()));
      }
      case RESTORE_MIGRATED -> {
        var rm = cmd.getRestoreMigrated();
        CompletableFuture<byte[]> f = expected.get(rm.getMigrationId());
        Optional<GuestInfo> existing = d.inspect(id);
        if (f == null && existing.isPresent() && existing.get().generation() == cmd.getGeneration()) {
          out.setState(dev.mayfly.southbound.v1.GuestState.valueOf(existing.get().state().name()));
          return; // restored already (repeated command after an agent-side answer got lost)
        }
        if (f == null) {
          throw new GuestException(Code.INVALID_STATE, "restore_migrated: migration " + rm.getMigrationId()
              + " was not announced here (expect_migration first) or has been cancelled");
        }
        long t0 = System.nanoTime();
        byte[] bytes;
        try {
          bytes = f.get(rm.getTimeoutMs() > 0 ? rm.getTimeoutMs() : 60_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new GuestException(Code.INTERNAL, "restore_migrated interrupted");
        } catch (ExecutionException ex) {
          expected.remove(rm.getMigrationId(), f);
          throw new GuestException(Code.CONFIG_REJECTED, "transfer of migration " + rm.getMigrationId()
              + " failed: " + ex.getCause().getMessage());
        } catch (CancellationException ex) {
          expected.remove(rm.getMigrationId(), f);
          throw new GuestException(Code.CONFIG_REJECTED, "transfer of migration " + rm.getMigrationId()
              + " was cancelled");
        } catch (TimeoutException ex) {
          receiver.cancel(rm.getMigrationId(), "restore timed out");
          expected.remove(rm.getMigrationId(), f);
          throw new GuestException(Code.INTERNAL, "no transfer of migration " + rm.getMigrationId() + " within "
              + rm.getTimeoutMs() + " ms");
        }
        expected.remove(rm.getMigrationId(), f);
        long t1 = System.nanoTime();
        Checkpoint cp;
        try {
          cp = new CheckpointReader().read(bytes);
        } catch (CheckpointFormatException ex) {
          throw new GuestException(Code.CONFIG_REJECTED, ex.getMessage());
        }
        if (!cp.header().guestId().equals(id)) {
          throw new GuestException(Code.CONFIG_REJECTED, "checkpoint of guest " + cp.header().guestId()
              + ", expected " + id);
        }
        var protoSpec = rm.getSpec();
        if (protoSpec.getClickConfig().isEmpty() && cp.config().isPresent()) {
          protoSpec = protoSpec.toBuilder().setClickConfig(cp.config().get()).build();
        }
        if (protoSpec.getNfType().isEmpty()) {
          protoSpec = protoSpec.toBuilder().setNfType(cp.header().nfType()).build();
        }
        GuestSpec spec = specs.spec(protoSpec);
        GuestInfo info = checkpointable(d).restore(spec, cp.elementState().orElse(new byte[0]), specs.shell(spec));
        out.setState(dev.mayfly.southbound.v1.GuestState.valueOf(info.state().name()))
            .setCheckpointBytes(bytes.length)
            .addTimings(timing("transfer_wait", t1 - t0));
        if (info.timingsMs() != null) {
          info.timingsMs().forEach((k, v) -> out.addTimings(Timing.newBuilder().setPhase(k).setMillis(v)));
        }
      }
      case CANCEL_MIGRATION -> {
        String mig = cmd.getCancelMigration().getMigrationId();
        CompletableFuture<byte[]> f = expected.remove(mig);
        if (f != null) {
          receiver.cancel(mig, cmd.getCancelMigration().getReason());
        }
        held.remove(mig);
        OpenTransfer ot = opened.remove(mig);
        if (ot != null) {
          ot.abort(cmd.getCancelMigration().getReason());
        }
      }
      default -> throw new GuestException(Code.UNSUPPORTED, "not a migration action: " + cmd.getActionCase());
    }
  }

  /**
   * Target of a live migration: boots the guest now (ports attached: {@code access} to the
   * subscriber's attachment, {@code core} to the core bridge) and puts it in standby (the
   * runtime's {@code noxs.standby}; the freezer if the runtime lacks it), then announces the
   * transfer with a commit that imports the state into that guest (which ends the standby; it
   * forwards from then on). If the expectation fails (timeout, cancel, refused or broken stream,
   * refused import) the guest booted here is destroyed: the source resumes its own.
   */
  private void expectLive(Command cmd, GuestDriver d, Specs specs, String mig, Duration timeout,
      CommandResult.Builder out) throws GuestException {
    String id = cmd.getGuestId();
    GuestDriver.StateImport importer = d instanceof GuestDriver.StateImport si ? si : null;
    GuestDriver.Pausable pausable = d instanceof GuestDriver.Pausable p ? p : null;
    if (importer == null || pausable == null) {
      throw new GuestException(Code.UNSUPPORTED, "driver " + d.name() + " cannot import state into a running guest");
    }
    long t0 = System.nanoTime();
    long gen = cmd.getExpectMigration().getGuestGeneration() > 0 ? cmd.getExpectMigration().getGuestGeneration()
        : cmd.getGeneration();
    Optional<GuestInfo> existing = d.inspect(id);
    if (existing.isPresent() && existing.get().generation() != gen) {
      throw new GuestException(Code.INVALID_STATE, "expect_migration: guest " + id + " already exists here (generation "
          + existing.get().generation() + ", " + existing.get().state() + ")");
    }
    if (existing.isEmpty()) {
      GuestSpec s0 = specs.spec(cmd.getExpectMigration().getSpec());
      GuestSpec spec = new GuestSpec(s0.guestId(), gen, s0.nfType(), s0.clickConfig(), s0.ports(), s0.memoryBytes(),
          s0.cpuWeight(), s0.pidsMax(), s0.labels());
      GuestInfo info = d.boot(spec, specs.shell(spec));
      if (info.timingsMs() != null) {
        info.timingsMs().forEach((k, v) -> out.addTimings(Timing.newBuilder().setPhase("boot_" + k).setMillis(v)));
      }
    }
    if (d.inspect(id).map(g -> g.state() == dev.mayfly.agent.driver.GuestState.RUNNING).orElse(false)) {
      // booted ahead, not forwarding until the import: the runtime's standby (packets queue, tables
      // are allocated now; the import ends it without a thaw), else the freezer
      boolean standby = false;
      if (d instanceof GuestDriver.HandlerAccess h) {
        try {
          h.writeHandler(id, STANDBY_HANDLER, "1");
          standby = true;
        } catch (GuestException e) {
          log.info("{}: no standby in this runtime ({}); freezing it instead", id, e.getMessage());
        }
      }
      if (!standby) {
        pausable.pause(id);
      }
    }
    long t1 = System.nanoTime();
    CompletableFuture<byte[]> f;
    try {
      f = receiver.expect(mig, id, cmd.getExpectMigration().getToken(), timeout, (bytes, cp) -> {
        byte[] state = cp.elementState().orElseThrow(() -> new IllegalArgumentException(
            "the checkpoint of " + id + " holds no element state"));
        long i0 = System.nanoTime();
        importer.importState(id, state);
        long i1 = System.nanoTime();
        return String.format(java.util.Locale.ROOT, "restore=%.3f move_traffic=0 resume=%.3f", (i1 - i0) / 1e6,
            (System.nanoTime() - i1) / 1e6);
      });
    } catch (IllegalArgumentException | IllegalStateException ex) {
      discardQuietly(d, id, "expectation refused");
      throw new GuestException(Code.CONFIG_REJECTED, "expect_migration: " + ex.getMessage());
    }
    expected.put(mig, f);
    f.whenCompleteAsync((b, err) -> {
      expected.remove(mig, f);
      if (err != null) {
        discardQuietly(d, id, describe(err));
      }
    }, background);
    out.setState(dev.mayfly.southbound.v1.GuestState.PAUSED).addTimings(timing("preboot", t1 - t0));
  }

  private static void discardQuietly(GuestDriver d, String id, String why) {
    try {
      d.destroy(id);
      log.info("live migration target {} discarded: {}", id, why);
    } catch (GuestException | RuntimeException e) {
      log.warn("discarding live migration target {} ({}) failed: {}", id, why, e.getMessage());
    }
  }

  private static String describe(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof CancellationException ? "cancelled" : String.valueOf(t.getMessage());
  }

  /**
   * Source of a live migration, the whole downtime in one command: checkpoint (the guest stops
   * forwarding as it takes the request; no separate freeze), wrap as MFCK, stream over the
   * connection opened in PREPARE_TARGET; the target imports and resumes before it answers DONE
   * with its timings. Any failure after the checkpoint resumes the guest here; the error message
   * starts with the failed phase.
   */
  private void migrateLive(Command cmd, GuestDriver d, CommandResult.Builder out) throws GuestException {
    long t0 = System.nanoTime();
    String id = cmd.getGuestId();
    var m = cmd.getMigrateOut();
    String mig = m.getMigrationId();
    OpenTransfer ot = opened.remove(mig);
    if (ot == null) {
      throw new GuestException(Code.INVALID_STATE, "PAUSE_SOURCE: no open connection for migration " + mig
          + " (MigrateOut{open_only} first)");
    }
    GuestDriver.Checkpointable c;
    GuestInfo info;
    try {
      c = checkpointable(d);
      info = d.inspect(id).orElseThrow(() -> new GuestException(Code.NOT_FOUND, "guest " + id + " does not exist"));
    } catch (GuestException e) {
      ot.abort(e.getMessage());
      throw new GuestException(e.code(), "PAUSE_SOURCE: " + e.getMessage());
    }
    long t1 = System.nanoTime();
    byte[] blob;
    byte[] cp;
    try {
      blob = c.checkpoint(id);
      cp = new CheckpointWriter().write(Checkpoint.builder(id, info.generation(), info.nfType())
          .elementState(blob).metadata(Map.of("source", nodeName)).flags(1).build());
    } catch (GuestException | CheckpointFormatException e) {
      ot.abort("checkpoint failed");
      throw new GuestException(e instanceof GuestException g ? g.code() : Code.INTERNAL,
          "CHECKPOINT: " + e.getMessage() + resumeSource(d, id));
    }
    long t2 = System.nanoTime();
    TransferResult r;
    try {
      long wait = options.transferTimeout().toMillis() + 1000;
      r = ot.send(cp).get(wait, TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      ot.abort("interrupted");
      throw new GuestException(Code.INTERNAL, "TRANSFER: interrupted" + resumeSource(d, id));
    } catch (ExecutionException | TimeoutException ex) {
      String why = ex instanceof TimeoutException ? "timed out" : ex.getCause().getMessage();
      ot.abort(why);
      String phase = why != null && why.contains("was not committed on the target") ? "RESTORE_TARGET" : "TRANSFER";
      throw new GuestException(Code.INTERNAL, phase + ": " + why + resumeSource(d, id));
    }
    long t3 = System.nanoTime();
    Map<String, Double> remote = parseReport(r.report());
    double restore = remote.getOrDefault("restore", 0.0);
    double move = remote.getOrDefault("move_traffic", 0.0);
    double resume = remote.getOrDefault("resume", 0.0);
    double transfer = Math.max(0, (t3 - t2) / 1e6 - restore - move - resume);
    out.putAllHandlers(summarize(blob));
    out.setCheckpointBytes(cp.length).setState(dev.mayfly.southbound.v1.GuestState.CHECKPOINTED)
        .addTimings(timing("pause", t1 - t0)).addTimings(timing("checkpoint", t2 - t1))
        .addTimings(Timing.newBuilder().setPhase("transfer").setMillis(transfer))
        .addTimings(Timing.newBuilder().setPhase("restore").setMillis(restore))
        .addTimings(Timing.newBuilder().setPhase("move_traffic").setMillis(move))
        .addTimings(Timing.newBuilder().setPhase("resume").setMillis(resume));
  }

  /** Resumes the source guest after a failed live migration; returns a note for the error text. */
  private static String resumeSource(GuestDriver d, String id) {
    try {
      if (d instanceof GuestDriver.Pausable p) {
        Optional<GuestInfo> g = d.inspect(id);
        if (g.isPresent() && g.get().state() != dev.mayfly.agent.driver.GuestState.RUNNING) {
          p.unpause(id);
        }
        return " (source guest resumed)";
      }
      return " (source guest not resumed: the driver cannot unpause)";
    } catch (GuestException | RuntimeException e) {
      log.error("resuming {} after a failed live migration: {}", id, e.getMessage());
      return " (resuming the source guest failed: " + e.getMessage() + ")";
    }
  }

  /** "k=v k=v" (v in ms) from the target's DONE report; unknown or malformed parts are skipped. */
  static Map<String, Double> parseReport(String report) {
    Map<String, Double> m = new java.util.HashMap<>();
    if (report == null) {
      return m;
    }
    for (String part : report.trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        try {
          double v = Double.parseDouble(part.substring(eq + 1));
          if (v >= 0 && Double.isFinite(v)) {
            m.put(part.substring(0, eq), v);
          }
        } catch (NumberFormatException ignored) {
          // not a timing
        }
      }
    }
    return m;
  }

  /**
   * Table sizes and counters inside a clickos checkpoint blob ({@code CKOS} v1, little-endian:
   * header, then records {@code u16 name, u16 class, u32 data}): {@code NAME.size} for each
   * FlowFirewall (its flow count), {@code NAME.count} for each Counter. Empty if the blob is not
   * in that format (another runtime, a test double).
   */
  public static Map<String, String> summarize(byte[] blob) {
    Map<String, String> out = new java.util.TreeMap<>();
    try {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(blob).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      if (blob.length < 20 || b.getInt(0) != 0x534f4b43) {
        return out;
      }
      b.position(16);
      int n = b.getInt();
      for (int i = 0; i < n && i < 4096; i++) {
        byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(name);
        byte[] cls = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(cls);
        int len = b.getInt();
        int at = b.position();
        String nm = new String(name, java.nio.charset.StandardCharsets.UTF_8);
        String cl = new String(cls, java.nio.charset.StandardCharsets.UTF_8);
        if (cl.equals("FlowFirewall") && len >= 4) {
          out.put(nm + ".size", Integer.toUnsignedString(b.getInt(at)));
        } else if (cl.equals("Counter") && len >= 8) {
          out.put(nm + ".count", Long.toUnsignedString(b.getLong(at)));
        }
        b.position(at + len);
      }
    } catch (RuntimeException e) {
      out.clear(); // not a clickos blob: nothing to report
    }
    return out;
  }

  private MigrationSender sender(String node) throws GuestException {
    if (node.isEmpty()) {
      throw new GuestException(Code.CONFIG_REJECTED, "migrate_out: target_node is empty");
    }
    MigrationSender s = senders.get(node);
    if (s == null) {
      try {
        s = new MigrationSender(clientTls.forNode(node), options);
      } catch (IOException e) {
        throw new GuestException(Code.INTERNAL, "TLS context for node " + node + ": " + e.getMessage());
      }
      MigrationSender prev = senders.putIfAbsent(node, s);
      if (prev != null) {
        s.close();
        s = prev;
      }
    }
    return s;
  }

  private void expire() {
    long now = System.nanoTime();
    held.entrySet().removeIf(e -> now - e.getValue().at() > HOLD.toNanos());
  }

  /** Migrations announced and not yet restored or cancelled (for tests). */
  public int pending() {
    return expected.size();
  }

  /** Checkpoints held for a transfer (for tests). */
  public int held() {
    return held.size();
  }

  private static GuestDriver.Checkpointable checkpointable(GuestDriver d) throws GuestException {
    if (d instanceof GuestDriver.Checkpointable c) {
      return c;
    }
    throw new GuestException(Code.UNSUPPORTED, "driver " + d.name() + " does not support checkpoint/restore");
  }

  private static Timing timing(String phase, long nanos) {
    return Timing.newBuilder().setPhase(phase).setMillis(nanos / 1e6).build();
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /** Stops the receiver and the senders; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    expected.values().forEach(f -> f.cancel(true));
    opened.values().forEach(o -> o.abort("agent shutting down"));
    senders.values().forEach(MigrationSender::close);
    receiver.close();
    background.shutdown();
  }

  /** "host:port" with a bracketed IPv6 host allowed. */
  record HostPort(String host, int port) {
    static HostPort parse(String s, String what) throws GuestIllegal {
      int i = s == null ? -1 : s.lastIndexOf(':');
      if (i <= 0 || i == s.length() - 1) {
        throw new GuestIllegal(what + ": '" + s + "' is not host:port");
      }
      String host = s.substring(0, i);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        int port = Integer.parseInt(s.substring(i + 1));
        if (port < 0 || port > 65535) {
          throw new NumberFormatException();
        }
        return new HostPort(host, port);
      } catch (NumberFormatException e) {
        throw new GuestIllegal(what + ": '" + s + "' has no valid port");
      }
    }
  }

  /** A malformed address (a GuestException so the dispatcher answers CONFIG_REJECTED). */
  static final class GuestIllegal extends GuestException {
    GuestIllegal(String message) {
      super(Code.CONFIG_REJECTED, message);
    }
  }
}
