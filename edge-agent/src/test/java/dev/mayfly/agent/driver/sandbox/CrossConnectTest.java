package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.GuestState;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The personal firewall's port layout: {@code access} cross-connected to a subscriber's
 * attachment interface, {@code core} on a core bridge. Shells of that class are prepared with
 * the cross-connect bridge in place (a boot only enslaves the attachment); pooled and cold
 * boots both forward, and destroy releases the attachment and leaves nothing.
 */
class CrossConnectTest {
  @TempDir Path state;

  static final String UE = "mfxue";     // netns holding the subscriber end (10.77.9.1)
  static final String SRV = "mfxsrv";   // netns on the core bridge (10.77.9.2)
  static final String ATT = "mfxatt";   // attachment interface in the host netns
  static final String CORE = "mfxcore"; // core bridge
  static final String CORE2 = "mfxcore2"; // a second core bridge, without uplink

  static GuestSpec fw(String id) {
    return fw(id, CORE);
  }

  /** {@code core}: the core port's bridge, or several separated by ':'. */
  static GuestSpec fw(String id, String core) {
    return new GuestSpec(id, 1, "firewall", SandboxFixture.FORWARD,
        List.of(new PortSpec("access", null, ATT, null), new PortSpec("core", core, null, null)),
        16L << 20, 100, 16, Map.of());
  }

  /** Destroys what the test left running, closes the driver, removes the lab; nothing stays. */
  static void tearDown(SandboxDriver d) throws Exception {
    for (GuestInfo g : d.list()) {
      d.destroy(g.guestId());
    }
    d.close();
    cleanupLab();
    assertThat(SandboxFixture.leftovers(d.trackedSlots())).isEmpty();
  }

  static void sh(String... cmd) throws Exception {
    String r = SandboxFixture.run(cmd);
    if (!r.startsWith("0:")) {
      throw new IllegalStateException(String.join(" ", cmd) + " -> " + r);
    }
  }

  static boolean reaches() throws Exception {
    for (int i = 0; i < 5; i++) {
      String r = SandboxFixture.run("ip", "netns", "exec", UE, "timeout", "1", "bash", "-c",
          "exec 3<>/dev/tcp/10.77.9.2/7");
      if (r.contains("Connection refused") || r.startsWith("0:")) {
        return true;
      }
    }
    return false;
  }

  static void cleanupLab() throws Exception {
    SandboxFixture.run("ip", "netns", "del", UE);
    SandboxFixture.run("ip", "netns", "del", SRV);
    SandboxFixture.run("ip", "link", "del", ATT);
    SandboxFixture.run("ip", "link", "del", "mfxsrvh");
    SandboxFixture.run("ip", "link", "del", CORE);
    SandboxFixture.run("ip", "link", "del", CORE2);
  }

  static void buildLab() throws Exception {
      sh("ip", "netns", "add", UE);
      sh("ip", "netns", "add", SRV);
      sh("ip", "link", "add", ATT, "type", "veth", "peer", "name", "ue0", "netns", UE);
      sh("ip", "link", "add", "mfxsrvh", "type", "veth", "peer", "name", "srv0", "netns", SRV);
      sh("ip", "link", "add", CORE, "type", "bridge");
      sh("ip", "link", "set", "mfxsrvh", "master", CORE, "up");
      sh("ip", "link", "set", CORE, "up");
      sh("ip", "-n", UE, "addr", "add", "10.77.9.1/24", "dev", "ue0");
      sh("ip", "-n", UE, "link", "set", "ue0", "up");
      sh("ip", "-n", SRV, "addr", "add", "10.77.9.2/24", "dev", "srv0");
      sh("ip", "-n", SRV, "link", "set", "srv0", "up");

  }

  @Test
  void firewallLayoutForwardsPooledAndColdAndDestroyReleasesTheAttachment() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    cleanupLab();
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(rt));
    try {
      buildLab();

      ShellClass cls = fw("x").shellClass();
      assertThat(cls).isEqualTo(ShellClass.FIREWALL);
      assertThat(reaches()).as("no path without a firewall guest").isFalse();

      // pooled: the shell was prepared with its cross-connect bridge already in place
      Shell shell = d.prepare(cls);
      String slot = ((SandboxShell) shell).slot;
      assertThat(Files.exists(Path.of("/sys/class/net/mb" + slot + "x0"))).isTrue();
      GuestInfo g = d.boot(fw("xc-pooled"), Optional.of(shell));
      assertThat(g.state()).isEqualTo(GuestState.RUNNING);
      assertThat(g.timingsMs().get("pooled")).isEqualTo(1.0);
      assertThat(Files.readSymbolicLink(Path.of("/sys/class/net/" + ATT + "/master"))
          .getFileName().toString()).isEqualTo("mb" + slot + "x0");
      assertThat(reaches()).as("UE reaches the server through the pooled guest").isTrue();
      d.destroy("xc-pooled");
      assertThat(Files.exists(Path.of("/sys/class/net/" + ATT + "/master")))
          .as("attachment released").isFalse();
      assertThat(reaches()).as("no path after destroy").isFalse();

      // cold: the same layout prepared in line
      g = d.boot(fw("xc-cold"), Optional.empty());
      assertThat(g.timingsMs().get("pooled")).isEqualTo(0.0);
      assertThat(reaches()).as("UE reaches the server through the cold guest").isTrue();
      d.destroy("xc-cold");
    } finally {
      tearDown(d);
    }
  }

  static String masterOf(String dev) throws Exception {
    Path m = Path.of("/sys/class/net/" + dev + "/master");
    return Files.exists(m) ? Files.readSymbolicLink(m).getFileName().toString() : null;
  }

  /**
   * With the node's core bridges configured, a pooled firewall shell's core port is in one of
   * them from prepare on (round robin); a boot given the list takes that one, a boot naming
   * another bridge moves it; a malformed list is refused naming the field.
   */
  @Test
  void coreBridgesJoinedAtPrepareAndPickedAtBoot() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    cleanupLab();
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(rt)
        .withCoreBridges(List.of(CORE, CORE2)));
    try {
      buildLab();
      sh("ip", "link", "add", CORE2, "type", "bridge");
      sh("ip", "link", "set", CORE2, "up");
      SandboxShell a = (SandboxShell) d.prepare(ShellClass.FIREWALL);
      SandboxShell b = (SandboxShell) d.prepare(ShellClass.FIREWALL);
      String inCore = CORE.equals(masterOf("mf" + a.slot + "h1")) ? a.slot : b.slot;
      SandboxShell first = inCore.equals(a.slot) ? a : b;
      SandboxShell second = first == a ? b : a;
      assertThat(masterOf("mf" + first.slot + "h1")).isEqualTo(CORE);
      assertThat(masterOf("mf" + second.slot + "h1")).as("round robin").isEqualTo(CORE2);
      assertThat(masterOf("mf" + first.slot + "h0")).isEqualTo("mb" + first.slot + "x0");

      // the list: the bridge joined at prepare
      GuestSpec pick = fw("xc-pick", CORE2 + ":" + CORE);
      assertThat(d.boot(pick, Optional.of(first)).state()).isEqualTo(GuestState.RUNNING);
      assertThat(masterOf("mf" + first.slot + "h1")).isEqualTo(CORE);
      assertThat(reaches()).as("UE reaches the server through the guest on the prepared bridge").isTrue();
      d.destroy("xc-pick");
      assertThat(reaches()).isFalse();

      // one bridge named, another joined at prepare: moved there
      assertThat(d.boot(fw("xc-move"), Optional.of(second)).state()).isEqualTo(GuestState.RUNNING);
      assertThat(masterOf("mf" + second.slot + "h1")).isEqualTo(CORE);
      assertThat(reaches()).as("UE reaches the server after the move").isTrue();
      d.destroy("xc-move");

      GuestSpec bad = fw("xc-bad", CORE + "::x");
      assertThatThrownBy(() -> d.boot(bad, Optional.empty()))
          .isInstanceOf(GuestException.class).hasMessageContaining("ports.core.bridge");
      assertThat(d.list()).isEmpty();
    } finally {
      tearDown(d);
    }
  }

  @Test
  void chooseBridgeTakesThePreparedOneFromAList() {
    assertThat(SandboxDriver.chooseBridge(null, "a", "g")).isNull();
    assertThat(SandboxDriver.chooseBridge("br0", "br1", "g")).isEqualTo("br0");
    assertThat(SandboxDriver.chooseBridge("br0:br1:br2", "br1", "g")).isEqualTo("br1");
    String h = SandboxDriver.chooseBridge("br0:br1:br2", "other", "guest-7");
    assertThat(h).isIn("br0", "br1", "br2")
        .isEqualTo(SandboxDriver.chooseBridge("br0:br1:br2", null, "guest-7"));
  }
}
