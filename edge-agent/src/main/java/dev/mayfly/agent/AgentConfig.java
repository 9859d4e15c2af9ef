package dev.mayfly.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Agent settings from command-line flags, each with an environment variable fallback.
 * Flags win over the environment. Bad values throw {@link IllegalArgumentException}
 * naming the flag.
 */
public record AgentConfig(
    String controllerHost,
    int controllerPort,
    String nodeName,
    Path stateDir,
    String bootstrapToken,
    Path bootstrapTokenFile,
    Path caCert,
    Map<String, String> labels,
    int guestSlots,
    String driver,
    String dataPlaneAddress,
    boolean destroyGuestsOnExit,
    long initialBackoffMs,
    long maxBackoffMs) {

  public static final Pattern NODE_NAME = Pattern.compile("[a-z0-9-]{1,63}");
  public static final int DEFAULT_GUEST_SLOTS = 1024;

  public AgentConfig {
    labels = Map.copyOf(labels);
    if (!NODE_NAME.matcher(nodeName).matches()) {
      throw new IllegalArgumentException(
          "--node-name: '" + nodeName + "' does not match [a-z0-9-]{1,63}");
    }
    if (controllerPort < 1 || controllerPort > 65535) {
      throw new IllegalArgumentException("--controller: port " + controllerPort + " not in 1..65535");
    }
    if (guestSlots < 0) {
      throw new IllegalArgumentException("--guest-slots: must be >= 0, got " + guestSlots);
    }
  }

  /** Flag name (without "--") → environment variable, and whether it takes a value. */
  private static final Map<String, String> ENV = new LinkedHashMap<>();

  static {
    ENV.put("controller", "MAYFLY_CONTROLLER");
    ENV.put("node-name", "MAYFLY_NODE_NAME");
    ENV.put("state-dir", "MAYFLY_STATE_DIR");
    ENV.put("bootstrap-token", "MAYFLY_BOOTSTRAP_TOKEN");
    ENV.put("bootstrap-token-file", "MAYFLY_BOOTSTRAP_TOKEN_FILE");
    ENV.put("ca-cert", "MAYFLY_CA_CERT");
    ENV.put("labels", "MAYFLY_LABELS");
    ENV.put("guest-slots", "MAYFLY_GUEST_SLOTS");
    ENV.put("driver", "MAYFLY_DRIVER");
    ENV.put("data-plane-address", "MAYFLY_DATA_PLANE_ADDRESS");
    ENV.put("destroy-guests-on-exit", "MAYFLY_DESTROY_GUESTS_ON_EXIT");
    ENV.put("backoff-max-ms", "MAYFLY_AGENT_BACKOFF_MAX_MS");
  }

  private static final List<String> BOOLEAN_FLAGS = List.of("destroy-guests-on-exit");

  public static String usage() {
    return String.join("\n",
        "usage: java -jar edge-agent-all.jar [options]   (every option also as env var)",
        "  --controller HOST:PORT        controller southbound address (MAYFLY_CONTROLLER, default 127.0.0.1:7443)",
        "  --node-name NAME              [a-z0-9-]{1,63} (MAYFLY_NODE_NAME, default: sanitised host name)",
        "  --state-dir DIR               keys, certificate, driver state (MAYFLY_STATE_DIR, default",
        "                                $MAYFLY_HOME/agents/NODE if MAYFLY_HOME is set, else /var/lib/mayfly-agent)",
        "  --bootstrap-token TOKEN       enrollment token (MAYFLY_BOOTSTRAP_TOKEN)",
        "  --bootstrap-token-file FILE   file holding the token (MAYFLY_BOOTSTRAP_TOKEN_FILE)",
        "  --ca-cert FILE                controller CA (PEM) to verify the controller when enrolling (MAYFLY_CA_CERT)",
        "  --labels k=v,k=v              node labels (MAYFLY_LABELS)",
        "  --guest-slots N               guests this node offers (MAYFLY_GUEST_SLOTS, default 1024)",
        "  --driver NAME                 guest driver (MAYFLY_DRIVER, default sandbox)",
        "  --data-plane-address H:P      address for agent-to-agent migration (MAYFLY_DATA_PLANE_ADDRESS)",
        "  --destroy-guests-on-exit      destroy all guests on SIGTERM (default: leave them running)",
        "  --backoff-max-ms MS           reconnect backoff cap (default 10000)",
        "  --help");
  }

  /** Parses {@code args} with {@code env} as fallback. */
  public static AgentConfig parse(String[] args, Map<String, String> env) {
    Map<String, String> v = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "' (see --help)");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (!ENV.containsKey(name)) {
        throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
      }
      if (BOOLEAN_FLAGS.contains(name)) {
        v.put(name, value == null ? "true" : value);
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + name + ": missing value");
        }
        value = args[++i];
      }
      v.put(name, value);
    }
    ENV.forEach((flag, var) -> {
      if (!v.containsKey(flag) && env.get(var) != null && !env.get(var).isBlank()) {
        v.put(flag, env.get(var));
      }
    });

    String controller = v.getOrDefault("controller", "127.0.0.1:7443");
    String host;
    String portText;
    if (controller.startsWith("[")) {
      int close = controller.indexOf("]:");
      if (close < 0) {
        throw new IllegalArgumentException("--controller: '" + controller + "' is not [IPv6]:PORT");
      }
      host = controller.substring(1, close);
      portText = controller.substring(close + 2);
    } else {
      int colon = controller.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--controller: '" + controller + "' is not HOST:PORT");
      }
      host = controller.substring(0, colon);
      portText = controller.substring(colon + 1);
    }
    int port = parseInt("controller", portText);

    String node = v.containsKey("node-name") ? v.get("node-name") : defaultNodeName();
    Path stateDir;
    if (v.containsKey("state-dir")) {
      stateDir = Path.of(v.get("state-dir"));
    } else if (env.get("MAYFLY_HOME") != null && !env.get("MAYFLY_HOME").isBlank()) {
      stateDir = Path.of(env.get("MAYFLY_HOME"), "agents", node);
    } else {
      stateDir = Path.of("/var/lib/mayfly-agent");
    }
    Map<String, String> labels = parseLabels(v.getOrDefault("labels", ""));
    int slots = v.containsKey("guest-slots")
        ? parseInt("guest-slots", v.get("guest-slots")) : DEFAULT_GUEST_SLOTS;
    long backoffMax = v.containsKey("backoff-max-ms")
        ? parseInt("backoff-max-ms", v.get("backoff-max-ms")) : 10_000;
    if (backoffMax < 10) {
      throw new IllegalArgumentException("--backoff-max-ms: must be >= 10");
    }
    String destroy = v.getOrDefault("destroy-guests-on-exit", "false");
    if (!destroy.equals("true") && !destroy.equals("false")) {
      throw new IllegalArgumentException("--destroy-guests-on-exit: expected true or false, got '"
          + destroy + "'");
    }
    return new AgentConfig(host, port, node, stateDir,
        v.get("bootstrap-token"),
        v.containsKey("bootstrap-token-file") ? Path.of(v.get("bootstrap-token-file")) : null,
        v.containsKey("ca-cert") ? Path.of(v.get("ca-cert")) : null,
        labels, slots, v.getOrDefault("driver", "sandbox"),
        v.getOrDefault("data-plane-address", ""), Boolean.parseBoolean(destroy),
        Math.min(250, backoffMax), backoffMax);
  }

  /** A copy with other backoff bounds (tests). */
  public AgentConfig withBackoff(long initialMs, long maxMs) {
    return new AgentConfig(controllerHost, controllerPort, nodeName, stateDir, bootstrapToken,
        bootstrapTokenFile, caCert, labels, guestSlots, driver, dataPlaneAddress,
        destroyGuestsOnExit, initialMs, maxMs);
  }

  /** The bootstrap token: the flag/env value, else the token file's first line, else null. */
  public String resolveBootstrapToken() throws IOException {
    if (bootstrapToken != null && !bootstrapToken.isBlank()) {
      return bootstrapToken.trim();
    }
    if (bootstrapTokenFile != null) {
      if (!Files.isReadable(bootstrapTokenFile)) {
        throw new IOException("--bootstrap-token-file: cannot read " + bootstrapTokenFile);
      }
      String t = Files.readString(bootstrapTokenFile, StandardCharsets.UTF_8).trim();
      if (t.isEmpty()) {
        throw new IOException("--bootstrap-token-file: " + bootstrapTokenFile + " is empty");
      }
      return t;
    }
    return null;
  }

  static Map<String, String> parseLabels(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    if (text.isBlank()) {
      return m;
    }
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--labels: '" + p + "' is not key=value");
      }
      m.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
    }
    return m;
  }

  private static int parseInt(String flag, String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + flag + ": '" + text + "' is not an integer");
    }
  }

  /** Host name, lower-cased, invalid characters replaced by '-', cut to 63. */
  static String defaultNodeName() {
    String h = null;
    try {
      Path etc = Path.of("/etc/hostname");
      if (Files.isReadable(etc)) {
        h = Files.readString(etc).trim();
      }
      if (h == null || h.isEmpty()) {
        h = InetAddress.getLocalHost().getHostName();
      }
    } catch (IOException e) {
      h = "node";
    }
    return sanitise(h);
  }

  static String sanitise(String h) {
    String s = h.toLowerCase(Locale.ROOT);
    int dot = s.indexOf('.');
    if (dot > 0) {
      s = s.substring(0, dot);
    }
    s = s.replaceAll("[^a-z0-9-]", "-");
    if (s.length() > 63) {
      s = s.substring(0, 63);
    }
    return s.isEmpty() ? "node" : s;
  }

  /** Settings as strings, for {@link dev.mayfly.agent.driver.DriverContext#options()}. */
  public Map<String, String> asOptions(Map<String, String> env) {
    Map<String, String> m = new LinkedHashMap<>();
    env.forEach((k, val) -> {
      if (k.startsWith("MAYFLY_") && !k.contains("TOKEN")) {
        m.put(k, val);
      }
    });
    m.put("node-name", nodeName);
    m.put("state-dir", stateDir.toString());
    m.put("guest-slots", Integer.toString(guestSlots));
    m.put("driver", driver);
    m.put("data-plane-address", dataPlaneAddress);
    List<String> l = new ArrayList<>();
    labels.forEach((k, val) -> l.add(k + "=" + val));
    m.put("labels", String.join(",", l));
    // the node's core bridges, for drivers that prepare firewall shells in them (sandbox)
    m.put("core-bridges", labels.getOrDefault("mayfly.core-bridge", ""));
    return m;
  }
}
