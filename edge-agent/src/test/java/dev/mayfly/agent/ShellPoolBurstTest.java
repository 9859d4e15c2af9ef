package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.pool.ShellPool;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pool's refill yields to a burst of creates entirely (a shell prepared during the burst
 * costs the creates the same CPU as a cold boot) and refills once the burst is over. Shells
 * come from a test double here: the policy, not the sandbox, is under test (ShellPoolTest runs
 * the real driver).
 */
class ShellPoolBurstTest {
  static final class CountingDriver extends TestGuestDriver {
    final AtomicInteger prepares = new AtomicInteger();
    final java.util.Set<String> background = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final java.util.Set<String> preparers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void backgroundThread() {
      background.add(Thread.currentThread().getName());
    }

    @Override
    public Shell prepare(ShellClass cls) {
      prepares.incrementAndGet();
      preparers.add(Thread.currentThread().getName());
      return new Shell() {
        @Override
        public ShellClass shellClass() {
          return cls;
        }

        @Override
        public int pid() {
          return 0;
        }

        @Override
        public void discard() {
        }
      };
    }
  }

  @Test
  void noRefillDuringABurstAndFullAgainAfterIt() throws Exception {
    CountingDriver d = new CountingDriver();
    ShellPool pool = new ShellPool(d, Map.of(ShellClass.FIREWALL, 60), 2).start();
    try {
      assertThat(pool.awaitFull(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 60; i++) { // 60 takes at once: ~60/s, far above the burst rate
        assertThat(pool.take(ShellClass.FIREWALL)).isPresent();
      }
      Thread.sleep(60); // a prepare that began before the rate crossed the line may finish
      int during = d.prepares.get();
      int readyDuring = pool.ready();
      Thread.sleep(300); // still a burst: the rate decays with a 1 s time constant
      assertThat(d.prepares.get()).as("prepares during the burst").isEqualTo(during);
      assertThat(pool.ready()).isEqualTo(readyDuring).isLessThan(60);
      assertThat(pool.awaitFull(10, TimeUnit.SECONDS)).as("refilled after the burst").isTrue();
      assertThat(pool.ready()).isEqualTo(60);
      // every thread that prepared had made itself a background thread first
      assertThat(d.preparers).isNotEmpty();
      assertThat(d.background).containsAll(d.preparers);
    } finally {
      pool.close();
    }
  }
}
