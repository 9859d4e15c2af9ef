package dev.mayfly.agent.driver.sandbox;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.PortSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test support: a driver on the real clickos runtime, namespaces for pinging through a guest
 * (created with iproute2 here, in the test only), and before/after leak snapshots.
 */
public final class SandboxFixture {
  public static final String FORWARD =
      "FromDevice(access) -> Queue -> ToDevice(core);\n"
          + "FromDevice(core) -> Queue -> ToDevice(access);\n";
  public static final String FIREWALL =
      "fw :: FlowFirewall(TIMEOUT 300, OFFSET 14, NONIP true);\n"
          + "FromDevice(access) -> [0]fw[0] -> Queue -> ToDevice(core);\n"
          + "FromDevice(core) -> [1]fw[1] -> Queue -> ToDevice(access);\n";

  private SandboxFixture() {}

  /** Skips unless libnoxs loads, we are root and the clickos runtime is built. */
  public static Path requireSandbox() {
    assumeTrue(NoxsNative.isAvailable(), () -> "libnoxs: " + NoxsNative.unavailabilityReason());
    Path rt = SandboxOptions.findRuntime(Map.of());
    assumeTrue(Files.isExecutable(rt), "clickos runtime not built: " + rt);
    return rt;
  }

  public static SandboxOptions options(Path runtime) {
    return new SandboxOptions(runtime, Path.of("/run/mayfly-test/guest-root"), false, false,
        3000, 5000);
  }

  public static GuestSpec spec(String id, String config, int memMiB) {
    return new GuestSpec(id, 1, "test", config,
        List.of(new PortSpec("access", null, null, null), new PortSpec("core", null, null, null)),
        (long) memMiB << 20, 100, 16, Map.of("test", "1"));
  }

  public static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return p.exitValue() + ":" + out;
  }

  /** Two namespaces holding the guest's host ends with 10.77.N.1 and 10.77.N.2. */
  public static final class Wire implements AutoCloseable {
    final String a;
    final String b;
    final String ipB;

    public Wire(String tag, String slot, int net) throws IOException, InterruptedException {
      a = "mft" + tag + "a";
      b = "mft" + tag + "b";
      run("ip", "netns", "del", a);
      run("ip", "netns", "del", b);
      must("ip", "netns", "add", a);
      must("ip", "netns", "add", b);
      must("ip", "link", "set", "mf" + slot + "h0", "netns", a);
      must("ip", "link", "set", "mf" + slot + "h1", "netns", b);
      must("ip", "-n", a, "addr", "add", "10.77." + net + ".1/24", "dev", "mf" + slot + "h0");
      must("ip", "-n", b, "addr", "add", "10.77." + net + ".2/24", "dev", "mf" + slot + "h1");
      must("ip", "-n", a, "link", "set", "mf" + slot + "h0", "up");
      must("ip", "-n", b, "link", "set", "mf" + slot + "h1", "up");
      ipB = "10.77." + net + ".2";
    }

    /**
     * One TCP round trip from a to b through the guest: a SYN to a closed port of b comes back
     * as a RST ("Connection refused"); without forwarding the attempt times out. (No ping
     * binary is assumed on the host.)
     */
    public boolean ping() throws IOException, InterruptedException {
      String r = run("ip", "netns", "exec", a, "timeout", "1", "bash", "-c",
          "exec 3<>/dev/tcp/" + ipB + "/7");
      return r.contains("Connection refused") || r.startsWith("0:");
    }

    /** Up to n pings until one answers (ARP warm-up). */
    public boolean pingAny(int n) throws IOException, InterruptedException {
      for (int i = 0; i < n; i++) {
        if (ping()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public void close() throws IOException, InterruptedException {
      run("ip", "netns", "del", a);
      run("ip", "netns", "del", b);
    }

    private static void must(String... cmd) throws IOException, InterruptedException {
      String r = run(cmd);
      if (!r.startsWith("0:")) {
        throw new IOException(String.join(" ", cmd) + " -> " + r);
      }
    }
  }

  static {
    System.setProperty("mayfly.sandbox.trackSlots", "true");
  }

  /**
   * Waits (up to 10 s: the kernel tears network namespaces down asynchronously) until no
   * link or cgroup of the given slots is left, then returns what is left.
   */
  public static Set<String> leftovers(java.util.Collection<String> slots)
      throws IOException, InterruptedException {
    Set<String> left = new TreeSet<>();
    for (int i = 0; i < 1000; i++) {
      left.clear();
      Snapshot now = Snapshot.take();
      for (String slot : slots) {
        for (String l : now.links()) {
          if (l.equals("mf" + slot + "h0") || l.startsWith("mf" + slot + "h")
              || l.startsWith("mb" + slot + "x")) {
            left.add("link " + l);
          }
        }
        for (String cg : now.cgroups()) { // every controller's directory, not just memory
          if (cg.endsWith("/" + slot)) {
            left.add("cgroup " + cg);
          }
        }
      }
      if (left.isEmpty()) {
        return left;
      }
      Thread.sleep(10);
    }
    return left;
  }

  /** The slot cgroup parents: cgroup v1 controllers (this host) and the v2 hierarchies. */
  public static final List<Path> CGROUP_PARENTS = List.of(
      Path.of("/sys/fs/cgroup/memory/mayfly"), Path.of("/sys/fs/cgroup/cpu/mayfly"),
      Path.of("/sys/fs/cgroup/pids/mayfly"), Path.of("/sys/fs/cgroup/freezer/mayfly"),
      Path.of("/sys/fs/cgroup/unified/mayfly"), Path.of("/sys/fs/cgroup/mayfly"));

  /**
   * Host state a leak would change: our links and our cgroups ("controller-dir/slot" for
   * every controller: a v1 rmdir that gave up on one controller shows here).
   */
  public record Snapshot(Set<String> links, Set<String> cgroups) {
    public static Snapshot take() throws IOException {
      Set<String> cgs = new TreeSet<>();
      for (Path parent : CGROUP_PARENTS) {
        for (String n : names(parent, "")) {
          cgs.add(parent + "/" + n);
        }
      }
      return new Snapshot(names(Path.of("/sys/class/net"), "m"), cgs);
    }

    private static Set<String> names(Path dir, String prefix) throws IOException {
      Set<String> out = new TreeSet<>();
      if (!Files.isDirectory(dir)) {
        return out;
      }
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
            .filter(n -> n.startsWith(prefix)).forEach(out::add);
      }
      return out;
    }
  }

  /** True when pid is gone (or a zombie nobody reaped yet). */
  public static boolean processGone(int pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  public static List<Integer> pids(List<dev.mayfly.agent.driver.GuestInfo> infos) {
    List<Integer> out = new ArrayList<>();
    infos.forEach(i -> out.add(i.pid()));
    return out;
  }
}
