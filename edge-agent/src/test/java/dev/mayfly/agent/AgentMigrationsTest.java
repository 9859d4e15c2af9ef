package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.migration.AgentMigrations;
import dev.mayfly.agent.migration.AgentTls;
import dev.mayfly.migration.checkpoint.Checkpoint;
import dev.mayfly.migration.checkpoint.CheckpointWriter;
import dev.mayfly.migration.transfer.MigrationSender;
import dev.mayfly.migration.transfer.TransferOptions;
import dev.mayfly.southbound.v1.CancelMigration;
import dev.mayfly.southbound.v1.CheckpointGuest;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.ExpectMigration;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.MigrateOut;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.RestoreMigrated;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents' command dispatchers (source edge-a, target edge-b, each with a test-double driver)
 * moving a guest through the migration actions, over real TCP + mutual TLS on 127.0.0.1 with
 * certificates shaped like the controller's enrolment certificates (client-auth only, no SAN).
 */
class AgentMigrationsTest {
  @TempDir
  Path tmp;

  final ExecutorService workers = Executors.newFixedThreadPool(4);
  final TestGuestDriver srcDriver = new TestGuestDriver();
  final TestGuestDriver dstDriver = new TestGuestDriver();
  final TransferOptions opts = TransferOptions.defaults().withConnectTimeout(Duration.ofSeconds(2))
      .withTransferTimeout(Duration.ofSeconds(5));
  CommandDispatcher src;
  CommandDispatcher dst;
  AgentMigrations srcMig;
  AgentMigrations dstMig;
  Path dirA;
  Path dirB;
  AgentPki pki;

  @BeforeEach
  void setUp() throws Exception {
    System.setProperty(AgentMigrations.WARMUP_PROPERTY, "0"); // no JIT warm-up in tests
    pki = new AgentPki("mayfly-test-ca");
    dirA = pki.agentDir(tmp.resolve("a"), "edge-a");
    dirB = pki.agentDir(tmp.resolve("b"), "edge-b");
    srcMig = start(dirA, "edge-a");
    dstMig = start(dirB, "edge-b");
    src = new CommandDispatcher(LoadedDriver.of(srcDriver, Optional.empty()), workers);
    dst = new CommandDispatcher(LoadedDriver.of(dstDriver, Optional.empty()), workers);
    src.migrations(srcMig);
    dst.migrations(dstMig);
    CommandResult r = run(src, CommandDispatcherTest.create(id(), "fw-1", 1, "FlowFirewall;"));
    assertThat(r.getOk()).isTrue();
  }

  AgentMigrations start(Path dir, String node) throws Exception {
    return AgentMigrations.start(node,
        AgentTls.server(dir.resolve("agent.pem"), dir.resolve("agent.key"), dir.resolve("ca.pem")),
        n -> AgentTls.client(dir.resolve("agent.pem"), dir.resolve("agent.key"), dir.resolve("ca.pem"), n),
        "127.0.0.1:0", opts);
  }

  @AfterEach
  void tearDown() {
    srcMig.close();
    dstMig.close();
    workers.shutdownNow();
  }

  static String id() {
    return UUID.randomUUID().toString();
  }

  static CommandResult run(CommandDispatcher d, Command c) throws InterruptedException {
    BlockingQueue<CommandResult> q = new LinkedBlockingQueue<>();
    d.dispatch(c, q::add);
    CommandResult r = q.poll(20, TimeUnit.SECONDS);
    assertThat(r).as("a result for " + c.getActionCase()).isNotNull();
    return r;
  }

  static Command.Builder cmd(long gen) {
    return Command.newBuilder().setCommandId(id()).setGuestId("fw-1").setGeneration(gen);
  }

  Command expect(String mig, String token) {
    return cmd(2).setExpectMigration(ExpectMigration.newBuilder().setMigrationId(mig).setToken(token)
        .setTimeoutMs(10_000)).build();
  }

  Command checkpoint(String mig) {
    return cmd(3).setCheckpoint(CheckpointGuest.newBuilder().setMigrationId(mig)).build();
  }

  Command out(String mig, String token, String node) {
    return cmd(4).setMigrateOut(MigrateOut.newBuilder().setMigrationId(mig).setToken(token)
        .setTargetAddress("127.0.0.1:" + dstMig.port()).setTargetNode(node)).build();
  }

  Command restore(String mig, int timeoutMs) {
    return cmd(3).setRestoreMigrated(RestoreMigrated.newBuilder().setMigrationId(mig).setTimeoutMs(timeoutMs)
        .setSpec(GuestSpec.newBuilder().setNfType("personal-firewall").setClickConfig("FlowFirewall;")
            .setMemoryBytes(16 << 20).setCpuWeight(100).setPidsMax(16)
            .addPorts(Port.newBuilder().setName("access").setXconnect("ue1b"))
            .addPorts(Port.newBuilder().setName("core").setBridge("br0")))).build();
  }

  @Test
  void guestMovesWithItsStateOverMutualTls() throws Exception {
    String mig = "mig-1";
    String token = id() + id();
    assertThat(run(dst, expect(mig, token)).getOk()).isTrue();
    CommandResult ck = run(src, checkpoint(mig));
    assertThat(ck.getOk()).as(ck.getErrorMessage()).isTrue();
    assertThat(ck.getState()).isEqualTo(GuestState.CHECKPOINTED);
    assertThat(ck.getCheckpointBytes()).isGreaterThan("state-of-fw-1".length());
    assertThat(ck.getCheckpoint().isEmpty()).as("the checkpoint stays on the agent").isTrue();
    assertThat(srcMig.held()).isEqualTo(1);
    CommandResult sent = run(src, out(mig, token, "edge-b"));
    assertThat(sent.getOk()).as(sent.getErrorMessage()).isTrue();
    assertThat(sent.getCheckpointBytes()).isEqualTo(ck.getCheckpointBytes());
    assertThat(srcMig.held()).isZero();
    CommandResult r = run(dst, restore(mig, 5000));
    assertThat(r.getOk()).as(r.getErrorMessage()).isTrue();
    assertThat(r.getState()).isEqualTo(GuestState.RUNNING);
    assertThat(dstDriver.calls).contains("restore fw-1 state-of-fw-1");
    assertThat(dstDriver.guests.get("fw-1").generation()).isEqualTo(3);
    assertThat(dstMig.pending()).isZero();
    // the source guest is untouched until the controller destroys it
    assertThat(srcDriver.guests).containsKey("fw-1");
    // a repeated restore (controller restart) is answered without a second restore
    CommandResult again = run(dst, restore(mig, 5000).toBuilder().setCommandId(id()).build());
    assertThat(again.getOk()).isTrue();
    assertThat(dstDriver.calls.stream().filter(c -> c.startsWith("restore"))).hasSize(1);
  }

  @Test
  void senderRefusesAReceiverThatIsNotTheNamedNode() throws Exception {
    String token = id();
    run(dst, expect("mig-2", token));
    run(src, checkpoint("mig-2"));
    CommandResult r = run(src, out("mig-2", token, "edge-c"));
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorMessage()).contains("transfer to 127.0.0.1:" + dstMig.port() + " failed");
    assertThat(srcMig.held()).as("kept for a retry or a cancel").isEqualTo(1);
    assertThat(run(src, cmd(5).setCancelMigration(CancelMigration.newBuilder().setMigrationId("mig-2")).build())
        .getOk()).isTrue();
    assertThat(srcMig.held()).isZero();
  }

  @Test
  void wrongTokenIsRefusedAndTheExpectationSurvives() throws Exception {
    run(dst, expect("mig-3", "right-token"));
    run(src, checkpoint("mig-3"));
    CommandResult r = run(src, out("mig-3", "wrong-token", "edge-b"));
    assertThat(r.getOk()).isFalse();
    assertThat(dstMig.pending()).isEqualTo(1);
    CommandResult ok = run(src, out("mig-3", "right-token", "edge-b").toBuilder().setCommandId(id())
        .setGeneration(5).build());
    assertThat(ok.getOk()).as(ok.getErrorMessage()).isTrue();
    assertThat(run(dst, restore("mig-3", 5000)).getOk()).isTrue();
  }

  @Test
  void corruptedCheckpointIsCaughtByTheChecksumAndNothingIsRestored() throws Exception {
    run(dst, expect("mig-4", "tok"));
    byte[] cp = new CheckpointWriter().write(Checkpoint.builder("fw-1", 1, "personal-firewall")
        .elementState(new byte[4096]).build());
    cp[100] ^= 0x40; // one bit flipped inside the element state: structure fine, CRC32C not
    try (MigrationSender s = new MigrationSender(AgentTls.client(dirA.resolve("agent.pem"),
        dirA.resolve("agent.key"), dirA.resolve("ca.pem"), "edge-b"), opts)) {
      Throwable err = null;
      try {
        s.send("127.0.0.1", dstMig.port(), "mig-4", "tok", cp).get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        err = e.getCause();
      }
      assertThat(err).as("the sender is told").isNotNull();
      assertThat(err.getMessage()).contains("CRC32C");
    }
    CommandResult r = run(dst, restore("mig-4", 5000));
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorMessage()).contains("CRC32C mismatch");
    assertThat(dstDriver.guests).doesNotContainKey("fw-1");
    assertThat(dstDriver.calls.stream().filter(c -> c.startsWith("restore"))).isEmpty();
  }

  @Test
  void targetAgentGoneFailsTheTransferAndLeavesTheSource() throws Exception {
    run(dst, expect("mig-5", "tok"));
    run(src, checkpoint("mig-5"));
    dstMig.close(); // the target agent dies: its receiver is gone
    CommandResult r = run(src, out("mig-5", "tok", "edge-b"));
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorMessage()).contains("transfer to 127.0.0.1:");
    assertThat(srcDriver.guests).containsKey("fw-1");
  }

  @Test
  void restoreWithoutATransferTimesOutAndBadRequestsAreRefused() throws Exception {
    run(dst, expect("mig-6", "tok"));
    CommandResult r = run(dst, restore("mig-6", 200));
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorMessage()).contains("no transfer of migration mig-6 within 200 ms");
    CommandResult unknown = run(dst, restore("mig-none", 200).toBuilder().setGeneration(9).build());
    assertThat(unknown.getErrorCode()).isEqualTo("INVALID_STATE");
    assertThat(unknown.getErrorMessage()).contains("was not announced here");
    CommandResult noCp = run(src, out("mig-none", "tok", "edge-b").toBuilder().setGeneration(10).build());
    assertThat(noCp.getErrorCode()).isEqualTo("INVALID_STATE");
    CommandResult badAddr = run(src, cmd(11).setMigrateOut(MigrateOut.newBuilder().setMigrationId("mig-7")
        .setToken("t").setTargetAddress("nowhere").setTargetNode("edge-b")).build());
    assertThat(badAddr.getOk()).isFalse();
    // an agent started without --data-plane-address refuses migration actions
    CommandDispatcher plain = new CommandDispatcher(LoadedDriver.of(new TestGuestDriver(), Optional.empty()),
        workers);
    CommandResult u = run(plain, expect("mig-8", "tok"));
    assertThat(u.getErrorCode()).isEqualTo("UNSUPPORTED");
    assertThat(u.getErrorMessage()).contains("--data-plane-address");
  }

  @Test
  void checkpointSummaryNamesFlowTableSizesAndCounters() {
    java.nio.ByteBuffer pl = java.nio.ByteBuffer.allocate(200).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    pl.putInt(2);
    pl.putShort((short) 2).put("fw".getBytes()).putShort((short) 12).put("FlowFirewall".getBytes()).putInt(4 + 29);
    pl.putInt(1).put(new byte[29]);
    pl.putShort((short) 1).put("c".getBytes()).putShort((short) 7).put("Counter".getBytes()).putInt(16);
    pl.putLong(42).putLong(4200);
    int len = pl.position();
    java.nio.ByteBuffer blob = java.nio.ByteBuffer.allocate(16 + len).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    blob.put("CKOS".getBytes()).putInt(1).putInt(len).putInt(0).put(pl.array(), 0, len);
    assertThat(AgentMigrations.summarize(blob.array())).containsExactly(
        java.util.Map.entry("c.count", "42"), java.util.Map.entry("fw.size", "1"));
    assertThat(AgentMigrations.summarize("state-of-fw-1".getBytes())).isEmpty();
    assertThat(AgentMigrations.summarize(java.util.Arrays.copyOf(blob.array(), 30))).isEmpty();
  }
}
