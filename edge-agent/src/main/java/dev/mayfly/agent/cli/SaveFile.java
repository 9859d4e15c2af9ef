package dev.mayfly.agent.cli;

import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.PortSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The file {@code mayfly-agent save} writes and {@code restore} reads: text, first line
 * {@code MAYFLY-SAVE 1}, then {@code key=value} lines (values URL-encoded: guestId, generation,
 * nfType, memoryBytes, cpuWeight, pidsMax, ports, config), an empty line, then the guest's
 * checkpoint (the runtime's own versioned, checksummed format) in base64.
 */
final class SaveFile {
  static final String MAGIC = "MAYFLY-SAVE 1";

  private SaveFile() {}

  static String write(GuestSpec spec, byte[] checkpoint) {
    StringBuilder sb = new StringBuilder(MAGIC).append('\n');
    Map<String, String> kv = new LinkedHashMap<>();
    kv.put("guestId", spec.guestId());
    kv.put("generation", Long.toString(spec.generation()));
    kv.put("nfType", String.valueOf(spec.nfType()));
    kv.put("memoryBytes", Long.toString(spec.memoryBytes()));
    kv.put("cpuWeight", Integer.toString(spec.cpuWeight()));
    kv.put("pidsMax", Integer.toString(spec.pidsMax()));
    kv.put("ports", NodeCliServer.formatPorts(spec.ports()));
    kv.put("config", spec.clickConfig());
    kv.forEach((k, v) -> sb.append(k).append('=').append(CliProtocol.enc(v)).append('\n'));
    sb.append('\n');
    String b64 = Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(checkpoint);
    return sb.append(b64).append('\n').toString();
  }

  record Saved(GuestSpec spec, byte[] checkpoint) {}

  static Saved read(String text, String source) {
    String[] lines = text.split("\n", -1);
    if (lines.length < 2 || !lines[0].trim().equals(MAGIC)) {
      throw new IllegalArgumentException(source + ":1: not a Mayfly save file (expected '"
          + MAGIC + "')");
    }
    Map<String, String> kv = new LinkedHashMap<>();
    int i = 1;
    for (; i < lines.length && !lines[i].isEmpty(); i++) {
      int eq = lines[i].indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(source + ":" + (i + 1) + ": expected key=value");
      }
      kv.put(lines[i].substring(0, eq), CliProtocol.dec(lines[i].substring(eq + 1)));
    }
    StringBuilder b64 = new StringBuilder();
    for (i++; i < lines.length; i++) {
      b64.append(lines[i].trim());
    }
    byte[] blob;
    try {
      blob = Base64.getDecoder().decode(b64.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": checkpoint is not valid base64");
    }
    for (String k : List.of("guestId", "generation", "ports", "config")) {
      if (!kv.containsKey(k)) {
        throw new IllegalArgumentException(source + ": missing '" + k + "'");
      }
    }
    try {
      GuestSpec spec = new GuestSpec(kv.get("guestId"), Long.parseLong(kv.get("generation")),
          kv.getOrDefault("nfType", "click"), kv.get("config"),
          NodeCliServer.parsePorts(kv.get("ports"), null),
          Long.parseLong(kv.getOrDefault("memoryBytes", Long.toString(16L << 20))),
          Integer.parseInt(kv.getOrDefault("cpuWeight", "100")),
          Integer.parseInt(kv.getOrDefault("pidsMax", "16")), Map.of("origin", "restore"));
      return new Saved(spec, blob);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": bad number: " + e.getMessage());
    }
  }

  static List<String> chunk(String s) {
    return new ArrayList<>(List.of(s.split("\n")));
  }
}
