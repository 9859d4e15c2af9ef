package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.ShellSource;
import dev.mayfly.southbound.v1.CheckpointGuest;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.CreateGuest;
import dev.mayfly.southbound.v1.DestroyGuest;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.PauseGuest;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.RestoreGuest;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CommandDispatcherTest {
  final ExecutorService workers = Executors.newFixedThreadPool(4);
  final BlockingQueue<CommandResult> results = new LinkedBlockingQueue<>();
  final TestGuestDriver driver = new TestGuestDriver();

  @AfterEach
  void stop() {
    workers.shutdownNow();
  }

  private CommandDispatcher dispatcher() {
    return new CommandDispatcher(LoadedDriver.of(driver, Optional.empty()), workers);
  }

  private CommandResult next() throws InterruptedException {
    CommandResult r = results.poll(10, TimeUnit.SECONDS);
    assertThat(r).as("a result within 10 s").isNotNull();
    return r;
  }

  static Command create(String id, String guest, long gen, String config) {
    return Command.newBuilder().setCommandId(id).setGuestId(guest).setGeneration(gen)
        .setCreate(CreateGuest.newBuilder().setSpec(GuestSpec.newBuilder().setNfType("firewall")
            .setClickConfig(config).setMemoryBytes(16 << 20).setCpuWeight(100).setPidsMax(16)
            .addPorts(Port.newBuilder().setName("access").setXconnect("ue1").setMac("02:00:00:00:00:01"))
            .addPorts(Port.newBuilder().setName("core").setBridge("br0"))))
        .build();
  }

  @Test
  void createMapsTheSpecAndReportsTimings() throws Exception {
    dispatcher().dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    CommandResult r = next();
    assertThat(r.getOk()).isTrue();
    assertThat(r.getCommandId()).isEqualTo("c1");
    assertThat(r.getGuestId()).isEqualTo("g1");
    assertThat(r.getGeneration()).isEqualTo(1);
    assertThat(r.getState()).isEqualTo(GuestState.RUNNING);
    assertThat(r.getTimingsList()).extracting(t -> t.getPhase())
        .containsExactlyInAnyOrder("boot", "config", "queued", "total");
    assertThat(driver.shellsGiven).containsExactly(Optional.empty());
  }

  @Test
  void repeatedCommandIsAnsweredFromMemoryWithoutActingTwice() throws Exception {
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    CommandResult first = next();
    d.dispatch(create("c1b", "g1", 1, "Idle;"), results::add);
    CommandResult again = next();
    assertThat(again.getCommandId()).isEqualTo("c1b");
    assertThat(again.toBuilder().setCommandId("c1").build()).isEqualTo(first);
    assertThat(driver.calls).containsExactly("boot g1@1");
  }

  @Test
  void inFlightDuplicateWaitsAndGetsTheSameResult() throws Exception {
    driver.bootGate = new CountDownLatch(1);
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    d.dispatch(create("c2", "g1", 1, "Idle;"), results::add);
    driver.bootGate.countDown();
    CommandResult a = next();
    CommandResult b = next();
    assertThat(a.getCommandId()).isEqualTo("c1");
    assertThat(b.getCommandId()).isEqualTo("c2");
    assertThat(b.getOk()).isTrue();
    assertThat(driver.calls).containsExactly("boot g1@1");
  }

  @Test
  void commandsForOneGuestRunInArrivalOrder() throws Exception {
    driver.bootGate = new CountDownLatch(1);
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    d.dispatch(Command.newBuilder().setCommandId("c2").setGuestId("g1").setGeneration(2)
        .setDestroy(DestroyGuest.getDefaultInstance()).build(), results::add);
    driver.bootGate.countDown();
    assertThat(next().getCommandId()).isEqualTo("c1");
    CommandResult destroyed = next();
    assertThat(destroyed.getCommandId()).isEqualTo("c2");
    assertThat(destroyed.getState()).isEqualTo(GuestState.DESTROYED);
    assertThat(driver.calls).containsExactly("boot g1@1", "destroy g1");
  }

  @Test
  void createOfAGuestTheDriverAlreadyRunsDoesNotBootAgain() throws Exception {
    // a fresh dispatcher (agent restarted) and a guest the driver re-adopted
    driver.guests.put("g1", new dev.mayfly.agent.driver.GuestInfo("g1", 3,
        dev.mayfly.agent.driver.GuestState.RUNNING, 7, "firewall", 0, java.util.Map.of(),
        java.util.Map.of()));
    dispatcher().dispatch(create("c1", "g1", 3, "Idle;"), results::add);
    CommandResult r = next();
    assertThat(r.getOk()).isTrue();
    assertThat(r.getState()).isEqualTo(GuestState.RUNNING);
    assertThat(driver.calls).isEmpty();
  }

  @Test
  void staleGenerationIsRefused() throws Exception {
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 5, "Idle;"), results::add);
    next();
    d.dispatch(create("c2", "g1", 4, "Idle;"), results::add);
    CommandResult r = next();
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorCode()).isEqualTo("STALE_GENERATION");
    assertThat(driver.calls).containsExactly("boot g1@5");
  }

  /** A driver whose read handlers count how often they were read. */
  static final class CountingHandlers extends TestGuestDriver implements GuestDriver.HandlerAccess {
    final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void writeHandler(String guestId, String handler, String value) {}

    @Override
    public java.util.Map<String, String> readHandlers(String guestId) {
      return java.util.Map.of("c.count", Integer.toString(reads.incrementAndGet()));
    }
  }

  static Command read(String id, String guest, long gen) {
    return Command.newBuilder().setCommandId(id).setGuestId(guest).setGeneration(gen)
        .setReadHandlers(dev.mayfly.southbound.v1.ReadHandlers.getDefaultInstance()).build();
  }

  @Test
  void readHandlersIsReadOnlyNeverStaleNeverRememberedAndDoesNotBlockLaterCommands() throws Exception {
    CountingHandlers counting = new CountingHandlers();
    CommandDispatcher d = new CommandDispatcher(LoadedDriver.of(counting, Optional.empty()), workers);
    d.dispatch(create("c1", "g1", 5, "Idle;"), results::add);
    assertThat(next().getOk()).isTrue();
    // generation 0 (live counters) is below the applied generation 5: still answered, freshly each time
    d.dispatch(read("r1", "g1", 0), results::add);
    CommandResult r1 = next();
    d.dispatch(read("r2", "g1", 0), results::add);
    CommandResult r2 = next();
    assertThat(r1.getOk()).as(r1.toString()).isTrue();
    assertThat(r1.getHandlersMap()).containsEntry("c.count", "1");
    assertThat(r2.getHandlersMap()).containsEntry("c.count", "2");
    // a read at generation 7 is not remembered as applied: a later command at 6 is not stale
    d.dispatch(read("r3", "g1", 7), results::add);
    assertThat(next().getHandlersMap()).containsEntry("c.count", "3");
    d.dispatch(Command.newBuilder().setCommandId("p6").setGuestId("g1").setGeneration(6)
        .setPause(PauseGuest.getDefaultInstance()).build(), results::add);
    CommandResult paused = next();
    assertThat(paused.getCommandId()).isEqualTo("p6");
    assertThat(paused.getErrorCode()).isNotEqualTo("STALE_GENERATION");
    assertThat(paused.getHandlersMap()).isEmpty();
  }

  @Test
  void failedCommandsAreNotRememberedAndCarryTheDriverError() throws Exception {
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 1, "Bogus;"), results::add);
    CommandResult r = next();
    assertThat(r.getOk()).isFalse();
    assertThat(r.getErrorCode()).isEqualTo("CONFIG_REJECTED");
    assertThat(r.getErrorMessage()).isEqualTo("config:1: unknown element class 'Bogus'");
    d.dispatch(create("c2", "g1", 1, "Bogus;"), results::add);
    next();
    assertThat(driver.calls).containsExactly("boot g1@1", "boot g1@1");
  }

  @Test
  void missingCapabilityIsUnsupported() throws Exception {
    dispatcher().dispatch(Command.newBuilder().setCommandId("c1").setGuestId("g1").setGeneration(1)
        .setPause(PauseGuest.getDefaultInstance()).build(), results::add);
    CommandResult r = next();
    assertThat(r.getErrorCode()).isEqualTo("UNSUPPORTED");
    assertThat(r.getErrorMessage()).contains("pause");
  }

  @Test
  void checkpointAndRestoreGoThroughTheCapabilityInterface() throws Exception {
    CommandDispatcher d = dispatcher();
    d.dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    next();
    d.dispatch(Command.newBuilder().setCommandId("c2").setGuestId("g1").setGeneration(2)
        .setCheckpoint(CheckpointGuest.getDefaultInstance()).build(), results::add);
    CommandResult cp = next();
    assertThat(cp.getState()).isEqualTo(GuestState.CHECKPOINTED);
    assertThat(cp.getCheckpoint().toStringUtf8()).isEqualTo("state-of-g1");
    d.dispatch(Command.newBuilder().setCommandId("c3").setGuestId("g2").setGeneration(1)
        .setRestore(RestoreGuest.newBuilder().setCheckpoint(ByteString.copyFromUtf8("state-of-g1"))
            .setSpec(GuestSpec.newBuilder().setNfType("firewall").setClickConfig("Idle;")))
        .build(), results::add);
    CommandResult restored = next();
    assertThat(restored.getOk()).isTrue();
    assertThat(driver.calls).contains("restore g2 state-of-g1");
  }

  @Test
  void unknownGuestIsNotFound() throws Exception {
    dispatcher().dispatch(Command.newBuilder().setCommandId("c1").setGuestId("nope")
        .setGeneration(1).setCheckpoint(CheckpointGuest.getDefaultInstance()).build(), results::add);
    assertThat(next().getErrorCode()).isEqualTo("NOT_FOUND");
  }

  @Test
  void commandWithoutActionOrGuestIsRejected() throws Exception {
    CommandDispatcher d = dispatcher();
    d.dispatch(Command.newBuilder().setCommandId("c1").setGuestId("g1").build(), results::add);
    assertThat(next().getErrorCode()).isEqualTo("BAD_COMMAND");
    d.dispatch(Command.newBuilder().setCommandId("c2").setDestroy(DestroyGuest.getDefaultInstance())
        .build(), results::add);
    CommandResult r = next();
    assertThat(r.getErrorCode()).isEqualTo("BAD_COMMAND");
    assertThat(r.getErrorMessage()).contains("guest_id");
  }

  @Test
  void unavailableDriverAnswersUnsupportedWithTheReason() throws Exception {
    new CommandDispatcher(LoadedDriver.unavailable("sandbox", "cgroup v2 not mounted"), workers)
        .dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    CommandResult r = next();
    assertThat(r.getErrorCode()).isEqualTo("UNSUPPORTED");
    assertThat(r.getErrorMessage()).isEqualTo("cgroup v2 not mounted");
  }

  @Test
  void createTakesAShellFromThePoolWhenThereIsOne() throws Exception {
    Shell shell = new Shell() {
      @Override
      public ShellClass shellClass() {
        return ShellClass.FIREWALL;
      }

      @Override
      public int pid() {
        return 99;
      }

      @Override
      public void discard() {}
    };
    BlockingQueue<ShellClass> asked = new LinkedBlockingQueue<>();
    ShellSource pool = new ShellSource() {
      @Override
      public Optional<Shell> take(ShellClass c) {
        asked.add(c);
        return Optional.of(shell);
      }

      @Override
      public int ready() {
        return 1;
      }

      @Override
      public int target() {
        return 1;
      }

      @Override
      public void close() {}
    };
    new CommandDispatcher(LoadedDriver.of(driver, Optional.of(pool)), workers)
        .dispatch(create("c1", "g1", 1, "Idle;"), results::add);
    assertThat(next().getOk()).isTrue();
    // the firewall's layout (access cross-connected): the class the agent's pool keeps warm
    assertThat(asked).containsExactly(ShellClass.FIREWALL);
    assertThat(driver.shellsGiven).containsExactly(Optional.of(shell));
  }
}
