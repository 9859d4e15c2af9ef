package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 1000 guests created and destroyed leave no process, veth or cgroup behind. */
class ThousandGuestsTest {
  @TempDir Path state;

  @Test
  void thousandGuestsLeaveNothingBehind() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(rt));
    List<GuestInfo> guests = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        guests.add(d.boot(SandboxFixture.spec("k-" + i, SandboxFixture.FORWARD, 16),
            Optional.empty()));
      }
      assertThat(d.size()).isEqualTo(1000);
      assertThat(d.trackedSlots()).hasSize(1000);
      assertThat(guests).noneSatisfy(g -> assertThat(SandboxFixture.processGone(g.pid())).isTrue());
    } finally {
      // destroys overlap in the kernel (RCU waits of exiting packet sockets): 4 threads
      ExecutorService ex = Executors.newFixedThreadPool(4);
      for (GuestInfo g : guests) {
        ex.submit(() -> {
          d.destroy(g.guestId());
          return null;
        });
      }
      ex.shutdown();
      assertThat(ex.awaitTermination(10, TimeUnit.MINUTES)).isTrue();
      d.close();
    }
    assertThat(d.size()).isZero();
    assertThat(guests).allSatisfy(g -> assertThat(SandboxFixture.processGone(g.pid())).isTrue());
    assertThat(SandboxFixture.leftovers(d.trackedSlots())).isEmpty();
  }
}
