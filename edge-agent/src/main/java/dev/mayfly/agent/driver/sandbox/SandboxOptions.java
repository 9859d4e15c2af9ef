package dev.mayfly.agent.driver.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Settings of the sandbox driver.
 *
 * @param runtime the guest runtime binary (clickos, static); copied into {@code rootDir}
 * @param rootDir the guests' shared empty read-only root (holds only {@code clickos})
 * @param userns a user namespace per guest when the host allows it
 * @param guestStderr guests inherit the agent's stderr (debugging only)
 * @param prepareWaitMs how long prepare waits for the runtime to report PREPARED
 * @param requestTimeoutMs how long boot / checkpoint / handler requests wait for the guest
 * @param coreBridges the node's core bridges (its label {@code mayfly.core-bridge}, option
 *     "core-bridges"): a pooled shell with cross-connected ports (the personal firewall's) has
 *     its other ports' host ends in one of them from prepare on, round robin, so that a boot
 *     onto that bridge enslaves nothing; empty: none
 */
public record SandboxOptions(
    Path runtime, Path rootDir, boolean userns, boolean guestStderr, int prepareWaitMs,
    int requestTimeoutMs, List<String> coreBridges) {

  public SandboxOptions {
    coreBridges = coreBridges == null ? List.of() : List.copyOf(coreBridges);
  }

  public SandboxOptions(Path runtime, Path rootDir, boolean userns, boolean guestStderr,
      int prepareWaitMs, int requestTimeoutMs) {
    this(runtime, rootDir, userns, guestStderr, prepareWaitMs, requestTimeoutMs, List.of());
  }

  /** Defaults: runtime from {@link #findRuntime}, root under /run/mayfly, no userns. */
  public static SandboxOptions defaults() {
    return new SandboxOptions(findRuntime(Map.of()), Path.of("/run/mayfly/guest-root"), false,
        false, 3000, 5000);
  }

  /**
   * From agent options / environment: MAYFLY_CLICKOS (runtime), MAYFLY_GUEST_ROOT,
   * MAYFLY_USERNS=1, MAYFLY_GUEST_STDERR=1, "core-bridges" (names separated by {@code :}).
   */
  public static SandboxOptions from(Map<String, String> opts) {
    String root = opts.getOrDefault("MAYFLY_GUEST_ROOT", "/run/mayfly/guest-root");
    return new SandboxOptions(findRuntime(opts), Path.of(root),
        "1".equals(opts.get("MAYFLY_USERNS")), "1".equals(opts.get("MAYFLY_GUEST_STDERR")),
        3000, 5000, bridgeList(opts.getOrDefault("core-bridges", "")));
  }

  /** {@code a:b:c} as a list; blanks dropped. */
  public static List<String> bridgeList(String text) {
    List<String> l = new ArrayList<>();
    for (String b : text.split(":")) {
      if (!b.isBlank()) {
        l.add(b.trim());
      }
    }
    return l;
  }

  public SandboxOptions withRuntime(Path r) {
    return new SandboxOptions(r, rootDir, userns, guestStderr, prepareWaitMs, requestTimeoutMs,
        coreBridges);
  }

  public SandboxOptions withRootDir(Path r) {
    return new SandboxOptions(runtime, r, userns, guestStderr, prepareWaitMs, requestTimeoutMs,
        coreBridges);
  }

  public SandboxOptions withCoreBridges(List<String> b) {
    return new SandboxOptions(runtime, rootDir, userns, guestStderr, prepareWaitMs,
        requestTimeoutMs, b);
  }

  /**
   * The clickos runtime: property {@code mayfly.clickos} / env or option MAYFLY_CLICKOS;
   * else {@code clickos-images/target/bin/clickos} found from the working directory upwards
   * or next to the agent jar's checkout; else {@code /usr/lib/mayfly/clickos}.
   */
  public static Path findRuntime(Map<String, String> opts) {
    String p = System.getProperty("mayfly.clickos", opts.getOrDefault("MAYFLY_CLICKOS",
        System.getenv("MAYFLY_CLICKOS")));
    if (p != null && !p.isBlank()) {
      return Path.of(p);
    }
    Path rel = Path.of("clickos-images", "target", "bin", "clickos");
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isExecutable(d.resolve(rel))) {
        return d.resolve(rel);
      }
    }
    try {
      Path jar = Path.of(SandboxOptions.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      for (Path d = jar; d != null; d = d.getParent()) {
        if (Files.isExecutable(d.resolve(rel))) {
          return d.resolve(rel);
        }
      }
    } catch (Exception e) {
      // no code source: fall through
    }
    return Path.of("/usr/lib/mayfly/clickos");
  }
}
