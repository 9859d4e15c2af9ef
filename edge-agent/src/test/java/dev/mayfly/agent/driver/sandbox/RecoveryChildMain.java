package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.pool.ShellPool;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A stand-in agent process for the kill -9 test: boots guests, keeps a pool, then waits. */
public final class RecoveryChildMain {
  private RecoveryChildMain() {}

  public static void main(String[] args) throws Exception {
    Path state = Path.of(args[0]);
    int n = Integer.parseInt(args[2]);
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(Path.of(args[1])));
    ShellPool pool = new ShellPool(d, Map.of(ShellClass.FIREWALL, 2), 1).start();
    pool.awaitFull(20, TimeUnit.SECONDS);
    StringBuilder sb = new StringBuilder("READY");
    for (int i = 0; i < n; i++) {
      var g = d.boot(SandboxFixture.spec("rec-" + i, SandboxFixture.FORWARD, 32), Optional.empty());
      sb.append(' ').append(g.pid());
    }
    // the journal records are written behind the boots; this test is about adopting recorded
    // guests (the window before the write is RecoveryWindowTest's)
    d.flushStateFiles();
    System.out.println(sb);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
