package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.migration.AgentMigrations;
import dev.mayfly.agent.migration.AgentTls;
import dev.mayfly.agent.migration.MigrateBench;
import dev.mayfly.agent.driver.GuestState;
import dev.mayfly.agent.driver.sandbox.SandboxDriver;
import dev.mayfly.agent.driver.sandbox.SandboxFixture;
import dev.mayfly.migration.agent.AgentCommandSteps;
import dev.mayfly.migration.agent.AgentCommandSteps.Mode;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.MigrationMachine;
import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.migration.flow.MigrationState;
import dev.mayfly.migration.flow.Phase;
import dev.mayfly.migration.flow.StepStatus;
import dev.mayfly.migration.transfer.TransferOptions;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.ReadHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration between two real sandbox drivers (clickos guests, root): the shared
 * {@link AgentCommandSteps} in {@link Mode#LIVE} over two agents' command dispatchers, mutual TLS
 * on 127.0.0.1. The flow table travels (fw.size on the target), and a target that goes away after
 * PREPARE_TARGET leaves the source guest running and the migration rolled back with the reason.
 */
class LiveMigrationSandboxTest {
  static final int FLOWS = 2500;

  @TempDir
  Path tmp;

  final ExecutorService workers = Executors.newFixedThreadPool(4);
  SandboxDriver a;
  SandboxDriver b;
  AgentMigrations ma;
  AgentMigrations mb;
  CommandDispatcher da;
  CommandDispatcher db;

  @BeforeEach
  void setUp() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    System.setProperty(AgentMigrations.WARMUP_PROPERTY, "0"); // no JIT warm-up in tests
    a = new SandboxDriver(tmp.resolve("state-a"), SandboxFixture.options(rt));
    b = new SandboxDriver(tmp.resolve("state-b"), SandboxFixture.options(rt));
    AgentPki pki = new AgentPki("mayfly-test-ca");
    Path dirA = pki.agentDir(tmp.resolve("a"), "edge-a");
    Path dirB = pki.agentDir(tmp.resolve("b"), "edge-b");
    TransferOptions o = TransferOptions.defaults().withConnectTimeout(Duration.ofSeconds(2))
        .withTransferTimeout(Duration.ofSeconds(10));
    ma = start(dirA, "edge-a", o);
    mb = start(dirB, "edge-b", o);
    da = new CommandDispatcher(LoadedDriver.of(a, Optional.empty()), workers);
    db = new CommandDispatcher(LoadedDriver.of(b, Optional.empty()), workers);
    da.migrations(ma);
    db.migrations(mb);
  }

  static AgentMigrations start(Path dir, String node, TransferOptions o) throws Exception {
    return AgentMigrations.start(node,
        AgentTls.server(dir.resolve("agent.pem"), dir.resolve("agent.key"), dir.resolve("ca.pem")),
        n -> AgentTls.client(dir.resolve("agent.pem"), dir.resolve("agent.key"), dir.resolve("ca.pem"), n),
        "127.0.0.1:0", o);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (ma != null) ma.close();
    if (mb != null) mb.close();
    for (SandboxDriver d : new SandboxDriver[] {a, b}) {
      if (d == null) continue;
      for (var g : d.list()) d.destroy(g.guestId());
      d.close();
    }
    workers.shutdownNow();
  }

  AgentCommandSteps steps(Mode mode) {
    AgentCommandSteps.Link link = (node, c, timeout) -> MigrateBench.call(node.equals("edge-a") ? da : db, c,
        timeout);
    AgentCommandSteps.TrafficMover none = new AgentCommandSteps.TrafficMover() {
      @Override
      public void toTarget(MigrationContext ctx) {}

      @Override
      public void toSource(MigrationContext ctx) {}
    };
    return new AgentCommandSteps(link, 10, MigrateBench::protoSpec, () -> "127.0.0.1:" + mb.port(), none,
        new AgentCommandSteps.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(1)), mode);
  }

  String fwSize(CommandDispatcher d, String gid) throws Exception {
    CommandResult h = MigrateBench.call(d, MigrateBench.cmd(gid, 40).setReadHandlers(ReadHandlers.getDefaultInstance())
        .build(), Duration.ofSeconds(10));
    return h.getHandlersMap().get("fw.size");
  }

  @Test
  void flowTableMovesInOneLiveCommandAndTheSourceGoes() throws Exception {
    String gid = "live-" + UUID.randomUUID().toString().substring(0, 8);
    a.restore(MigrateBench.spec(gid, 1), MigrateBench.synthetic(FLOWS), Optional.empty());
    MigrationSnapshot s = new MigrationMachine(new MigrationContext("mig-" + UUID.randomUUID(), gid, "edge-a",
        "edge-b"), steps(Mode.LIVE)).run();

    assertThat(s.state()).as(String.valueOf(s.error())).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(s.attributes()).containsEntry("live", "true").containsKey("prebootMs");
    assertThat(s.attributes().get("handlers.source")).contains("fw.size=" + FLOWS);
    assertThat(s.attributes().get("handlers.target")).contains("fw.size=" + FLOWS);
    for (Phase p : Phase.LIVE) {
      assertThat(s.phase(p).status()).isEqualTo(StepStatus.SUCCEEDED);
    }
    assertThat(s.phase(Phase.RESTORE_TARGET).micros()).as("the import on the target was timed").isPositive();
    assertThat(s.downtimeMicros()).isPositive();
    assertThat(fwSize(db, gid)).isEqualTo(Integer.toString(FLOWS));
    assertThat(b.inspect(gid).orElseThrow().state()).isEqualTo(GuestState.RUNNING);
    assertThat(b.inspect(gid).orElseThrow().generation()).isEqualTo(10 + AgentCommandSteps.RESTORED_GENERATION);
    assertThat(a.inspect(gid)).as("the source is destroyed").isEmpty();
    assertThat(mb.pending()).isZero();
  }

  @Test
  void targetGoneAfterPrepareLeavesTheSourceRunningAndTheGuestDiscarded() throws Exception {
    String gid = "gone-" + UUID.randomUUID().toString().substring(0, 8);
    a.restore(MigrateBench.spec(gid, 1), MigrateBench.synthetic(FLOWS), Optional.empty());
    AgentCommandSteps inner = steps(Mode.LIVE);
    AgentCommandSteps.Link link = (node, c, timeout) -> MigrateBench.call(node.equals("edge-a") ? da : db, c,
        timeout);
    // the target agent's migration endpoint dies between PREPARE_TARGET and the live command
    AgentCommandSteps killing = new AgentCommandSteps(link, 10, MigrateBench::protoSpec,
        () -> "127.0.0.1:" + mb.port(), new AgentCommandSteps.TrafficMover() {
          @Override
          public void toTarget(MigrationContext ctx) {}

          @Override
          public void toSource(MigrationContext ctx) {}
        }, new AgentCommandSteps.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(1)),
        Mode.LIVE) {
      @Override
      public void prepareTarget(MigrationContext ctx) throws Exception {
        super.prepareTarget(ctx);
        mb.close();
      }
    };
    assertThat(inner.mode()).isEqualTo(Mode.LIVE);
    MigrationSnapshot s = new MigrationMachine(new MigrationContext("mig-" + UUID.randomUUID(), gid, "edge-a",
        "edge-b"), killing).run();

    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.TRANSFER);
    assertThat(s.error()).startsWith("TRANSFER failed:").contains("source guest resumed");
    assertThat(a.inspect(gid).orElseThrow().state()).isEqualTo(GuestState.RUNNING);
    assertThat(fwSize(da, gid)).as("the source still holds its table").isEqualTo(Integer.toString(FLOWS));
    assertThat(b.inspect(gid)).as("the guest booted ahead on the target is discarded").isEmpty();
  }
}
