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
 * The migration actions of one agent. Target side: one {@link MigrationReceiver} on the
 * agent's data-plane address; {@code ExpectMigration} announces a transfer
 * ({@code receiver.expect}), {@code RestoreMigrated} waits for its verified bytes, reads the
 * {@code MFCK} checkpoint (structure + CRC32C) and restores its element state into a pooled shell
 * with the spec the controller sent. Source side: {@code CheckpointGuest{migration_id}} wraps the
 * driver's state blob in an {@code MFCK} checkpoint kept here (not sent to the controller) and
 * {@code MigrateOut} streams it to the target ({@link MigrationSender}, one TLS context per target
 * node, cached). {@code CancelMigration} drops both. Held checkpoints expire after
 * {@link #HOLD}.
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
    try {
      return new AgentMigrations(nodeName, MigrationReceiver.start(server, hp.host(), hp.port(), options), clientTls,
          options);
    } catch (dev.mayfly.migration.transfer.TransferException e) {
      throw new IOException("data-plane address " + bindAddress + ": " + e.getMessage(), e);
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
