package dev.mayfly.agent.migration;

import dev.mayfly.agent.CommandDispatcher;
import dev.mayfly.agent.LoadedDriver;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.sandbox.SandboxDriver;
import dev.mayfly.agent.driver.sandbox.SandboxOptions;
import dev.mayfly.agent.pool.ShellPool;
import dev.mayfly.migration.agent.AgentCommandSteps;
import dev.mayfly.migration.agent.AgentCommandSteps.Mode;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.MigrationMachine;
import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.migration.flow.MigrationState;
import dev.mayfly.migration.transfer.TransferOptions;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.ReadHandlers;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * {@code ./mayfly bench migrate}: live migration of a FlowFirewall guest holding 0, 1 000,
 * 10 000 and 100 000 flows between two agents' command dispatchers in one process: two
 * {@link SandboxDriver}s (separate state dirs, each with a shell pool), two {@link AgentMigrations}
 * talking mutual TLS over 127.0.0.1, driven by the shared {@link MigrationMachine} with
 * {@link AgentCommandSteps} — the same class, and so the same commands, the controller uses
 * ({@code AgentMigrationSteps} is a thin subclass binding it to the southbound). Each size runs
 * the live path ({@link Mode#LIVE}: target booted ahead, the downtime in one agent-to-agent
 * command) and, interleaved in the same run as the peer, the stop-and-copy path
 * ({@link Mode#STOP_AND_COPY}: pause, checkpoint, transfer, restore into a fresh shell, one command
 * each). Downtime = pause of the source to the end of RESUME, total = start of PREPARE_TARGET to
 * the end of DESTROY_SOURCE. Not included: the southbound's network hop (one round trip per
 * command, ~0.1-0.5 ms on loopback; live has none inside the downtime) and the controller's
 * database writes (the {@link AgentCommandSteps.TrafficMover} here records nothing).
 *
 * <p>The source table is filled by restoring a synthetic clickos checkpoint (CKOS blob with a
 * FlowFirewall record of N TCP flows), then checked with the {@code fw.size} handler on the target
 * after the first migration of each size and mode. Writes raw samples (one line per migration:
 * {@code mode flows downtime_ms total_ms checkpoint_bytes PHASE=ms...}) to the file given with
 * {@code --samples}; {@code bench/migrate/run.sh} turns them into the report.
 */
public final class MigrateBench {
  static final String CONFIG = "fw :: FlowFirewall(TIMEOUT 300, OFFSET 14, CAPACITY 200000);\n"
      + "FromDevice(access) -> [0]fw[0] -> Queue -> ToDevice(core);\n"
      + "FromDevice(core) -> [1]fw[1] -> Queue -> ToDevice(access);\n";

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path samples = Path.of("migrate-samples.txt");
    Path certs = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--samples" -> samples = Path.of(args[++i]);
        case "--certs" -> certs = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (usage: MigrateBench [--quick] --certs DIR --samples FILE)");
      }
    }
    if (certs == null) {
      throw new IllegalArgumentException("--certs DIR (with a/ and b/ agent state dirs) is required");
    }
    new MigrateBench().run(quick, certs, samples);
  }

  private final ExecutorService workers = Executors.newFixedThreadPool(4);

  void run(boolean quick, Path certs, Path samplesFile) throws Exception {
    Path stA = Files.createTempDirectory("mayfly-migbench-a-");
    Path stB = Files.createTempDirectory("mayfly-migbench-b-");
    SandboxOptions o = SandboxOptions.defaults().withRootDir(Path.of("/run/mayfly/bench-root"));
    SandboxDriver a = new SandboxDriver(stA, o);
    SandboxDriver b = new SandboxDriver(stB, o);
    ShellClass cls = spec("x", 1).shellClass();
    ShellPool poolA = new ShellPool(a, Map.of(cls, 2), 1).start();
    ShellPool poolB = new ShellPool(b, Map.of(cls, 2), 1).start();
    TransferOptions to = TransferOptions.defaults();
    Path ca = certs.resolve("a");
    Path cb = certs.resolve("b");
    AgentMigrations ma = AgentMigrations.start("edge-a", AgentTls.server(ca.resolve("agent.pem"),
        ca.resolve("agent.key"), ca.resolve("ca.pem")), n -> AgentTls.client(ca.resolve("agent.pem"),
        ca.resolve("agent.key"), ca.resolve("ca.pem"), n), "127.0.0.1:0", to);
    AgentMigrations mb = AgentMigrations.start("edge-b", AgentTls.server(cb.resolve("agent.pem"),
        cb.resolve("agent.key"), cb.resolve("ca.pem")), n -> AgentTls.client(cb.resolve("agent.pem"),
        cb.resolve("agent.key"), cb.resolve("ca.pem"), n), "127.0.0.1:0", to);
    CommandDispatcher da = new CommandDispatcher(LoadedDriver.of(a, Optional.of(poolA)), workers);
    CommandDispatcher db = new CommandDispatcher(LoadedDriver.of(b, Optional.of(poolB)), workers);
    da.migrations(ma);
    db.migrations(mb);
    // as a long-running agent would be: its start-up warm-up done (docs/migration.md)
    System.err.printf("[migrate] transfer warm-up: %d + %d MiB%n", ma.warmedUp().get(120, TimeUnit.SECONDS),
        mb.warmedUp().get(120, TimeUnit.SECONDS));
    AgentCommandSteps.Link link = (node, c, timeout) -> call(node.equals("edge-a") ? da : db, c, timeout);
    List<String> lines = new ArrayList<>();
    Map<String, String> checks = new LinkedHashMap<>();
    try {
      int[] sizes = {0, 1000, 10000, 100000};
      for (int flows : sizes) {
        int n = quick ? (flows >= 100000 ? 3 : 7) : (flows >= 100000 ? 10 : 30);
        int warm = flows >= 100000 ? 1 : 3;
        for (int i = 0; i < n + warm; i++) {
          for (Mode mode : Mode.values()) { // interleaved: both paths see the same load
            String gid = "mig-bench-" + flows + "-" + mode.name().toLowerCase().charAt(0) + i;
            poolA.awaitFull(5, TimeUnit.SECONDS);
            poolB.awaitFull(5, TimeUnit.SECONDS);
            a.restore(spec(gid, 1), synthetic(flows), poolA.take(cls));
            MigrationSnapshot s = migrate(gid, link, mb.port(), mode);
            if (s.state() != MigrationState.SUCCEEDED) {
              throw new IllegalStateException(mode + " migration of " + gid + " failed: " + s.error());
            }
            if (i == 0) {
              CommandResult h = call(db, cmd(gid, 40).setReadHandlers(ReadHandlers.getDefaultInstance()).build(),
                  Duration.ofSeconds(30));
              String size = h.getHandlersMap().getOrDefault("fw.size", "?");
              checks.put(mode.name().toLowerCase() + ":" + flows, size);
              if (!size.equals(Integer.toString(flows))) {
                throw new IllegalStateException("after migrating " + flows + " flows (" + mode + ") the target holds"
                    + " fw.size=" + size + " (handlers " + h.getHandlersMap().keySet() + ")");
              }
            }
            b.destroy(gid);
            if (i >= warm) {
              StringBuilder l = new StringBuilder((mode == Mode.LIVE ? "live" : "stopcopy") + " " + flows + " "
                  + s.downtimeMillis() + " " + s.totalMillis() + " "
                  + s.attributes().getOrDefault("checkpointBytes", "0"));
              for (var p : s.phases()) {
                l.append(' ').append(p.step()).append('=').append(p.millis());
              }
              lines.add(l.toString());
            }
          }
        }
        System.err.printf("[migrate] %d flows: %d migrations per path%n", flows, n);
      }
      lines.add("# fw.size after migration (path:flows=size): " + checks);
      Files.write(samplesFile, lines, StandardCharsets.UTF_8);
    } finally {
      ma.close();
      mb.close();
      poolA.close();
      poolB.close();
      for (var g : a.list()) {
        a.destroy(g.guestId());
      }
      for (var g : b.list()) {
        b.destroy(g.guestId());
      }
      a.close();
      b.close();
      workers.shutdownNow();
    }
  }

  public static GuestSpec spec(String id, long gen) {
    return new GuestSpec(id, gen, "personal-firewall", CONFIG,
        List.of(new PortSpec("access", null, null, null), new PortSpec("core", null, null, null)),
        16L << 20, 100, 16, Map.of("bench", "migrate"));
  }

  public static dev.mayfly.southbound.v1.GuestSpec protoSpec() {
    return dev.mayfly.southbound.v1.GuestSpec.newBuilder().setNfType("personal-firewall").setClickConfig(CONFIG)
        .addPorts(Port.newBuilder().setName("access")).addPorts(Port.newBuilder().setName("core"))
        .setMemoryBytes(16L << 20).setCpuWeight(100).setPidsMax(16).putLabels("bench", "migrate").build();
  }

  /** A clickos checkpoint (CKOS v1, little-endian) holding {@code n} TCP flows in element {@code fw}. */
  public static byte[] synthetic(int n) {
    ByteBuffer fw = ByteBuffer.allocate(4 + n * 29).order(ByteOrder.LITTLE_ENDIAN);
    fw.putInt(n);
    for (int i = 0; i < n; i++) {
      fw.put((byte) 6);
      fw.putInt(0x0A4D0001 + i / 60000); // 10.77.0.1 + k (host order as the runtime keeps it)
      fw.putInt(0x0A4DC801);             // 10.77.200.1
      fw.putShort((short) (1024 + i % 60000));
      fw.putShort((short) 80);
      fw.putLong(1_000_000_000L);        // idle 1 s
      fw.putLong(1 + i % 100);           // packets
    }
    byte[] name = "fw".getBytes(StandardCharsets.US_ASCII);
    byte[] cls = "FlowFirewall".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer pl = ByteBuffer.allocate(4 + 2 + name.length + 2 + cls.length + 4 + fw.capacity())
        .order(ByteOrder.LITTLE_ENDIAN);
    pl.putInt(1).putShort((short) name.length).put(name).putShort((short) cls.length).put(cls)
        .putInt(fw.capacity()).put(fw.array());
    CRC32 crc = new CRC32();
    crc.update(pl.array());
    ByteBuffer out = ByteBuffer.allocate(16 + pl.capacity()).order(ByteOrder.LITTLE_ENDIAN);
    out.put("CKOS".getBytes(StandardCharsets.US_ASCII));
    out.putInt(1).putInt(pl.capacity()).putInt((int) crc.getValue()).put(pl.array());
    return out.array(); // "CKOS" bytes = the runtime's little-endian magic 0x534f4b43
  }

  public static Command.Builder cmd(String gid, long gen) {
    return Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(gid).setGeneration(gen);
  }

  /** One command through a dispatcher, as the southbound would deliver it; not-ok results throw. */
  public static CommandResult call(CommandDispatcher d, Command c, Duration timeout)
      throws AgentCommandSteps.AgentCallException, InterruptedException {
    BlockingQueue<CommandResult> q = new LinkedBlockingQueue<>();
    d.dispatch(c, q::add);
    CommandResult r = q.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AgentCommandSteps.AgentCallException("TIMEOUT", c.getActionCase() + ": no answer within "
          + timeout.toMillis() + " ms");
    }
    if (!r.getOk()) {
      throw new AgentCommandSteps.AgentCallException(r.getErrorCode(), c.getActionCase().name().toLowerCase()
          + " failed: " + r.getErrorCode() + ": " + r.getErrorMessage());
    }
    return r;
  }

  /** One migration: the shared state machine with the controller's steps, the dispatchers standing in for the agents. */
  static MigrationSnapshot migrate(String gid, AgentCommandSteps.Link link, int port, Mode mode) {
    String mig = "mig-" + UUID.randomUUID();
    AgentCommandSteps.TrafficMover noRecords = new AgentCommandSteps.TrafficMover() {
      @Override
      public void toTarget(MigrationContext ctx) {}

      @Override
      public void toSource(MigrationContext ctx) {}
    };
    AgentCommandSteps steps = new AgentCommandSteps(link, 10, MigrateBench::protoSpec, () -> "127.0.0.1:" + port,
        noRecords, new AgentCommandSteps.Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(30),
            Duration.ofSeconds(1)), mode);
    return new MigrationMachine(new MigrationContext(mig, gid, "edge-a", "edge-b"), steps).run();
  }
}
