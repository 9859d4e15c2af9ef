package dev.mayfly.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads an NF descriptor from YAML (JSON is YAML too), keeping the line of every field so
 * errors say "line 7: resources.memoryMiB: ...". Unknown keys are errors (a typo must not
 * silently drop a setting). The result is then checked by {@link DescriptorValidator}.
 *
 * <p>Limits: 1 MiB of text, no aliases beyond 10, no recursive keys (billion laughs).
 */
public final class DescriptorLoader {

  public static final int MAX_CHARS = 1024 * 1024;

  private static final Set<String> TOP_KEYS =
      Set.of("name", "version", "description", "vendor", "ports", "resources", "clickConfig");
  private static final Set<String> PORT_KEYS = Set.of("name", "description");
  private static final Set<String> RESOURCE_KEYS = Set.of("memoryMiB", "cpuWeight", "pidsMax");

  private DescriptorLoader() {}

  /** Parses and validates; throws {@link DescriptorException} naming every problem. */
  public static NfDescriptor load(String text, String sourceName) {
    NfDescriptor d = parse(text, sourceName);
    List<DescriptorIssue> issues = DescriptorValidator.validate(d);
    if (!issues.isEmpty()) {
      // attach the YAML lines we know to the validator's field names
      throw new DescriptorException(sourceName, issues);
    }
    return d;
  }

  public static NfDescriptor load(InputStream in, String sourceName) {
    try {
      return load(new String(in.readAllBytes(), StandardCharsets.UTF_8), sourceName);
    } catch (IOException e) {
      throw new UncheckedIOException(sourceName + ": " + e.getMessage(), e);
    }
  }

  /** Parses without semantic validation (types and unknown keys only). */
  public static NfDescriptor parse(String text, String sourceName) {
    if (text == null || text.isBlank()) {
      throw new DescriptorException(sourceName, List.of(new DescriptorIssue("", 0, "empty document")));
    }
    if (text.length() > MAX_CHARS) {
      throw new DescriptorException(sourceName,
          List.of(new DescriptorIssue("", 0, "document larger than " + MAX_CHARS + " characters")));
    }
    LoaderOptions opts = new LoaderOptions();
    opts.setMaxAliasesForCollections(10);
    opts.setAllowRecursiveKeys(false);
    opts.setAllowDuplicateKeys(false);
    opts.setCodePointLimit(MAX_CHARS);
    Node root;
    try {
      root = new Yaml(opts).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
      throw new DescriptorException(sourceName,
          List.of(new DescriptorIssue("", line, "YAML syntax: " + e.getProblem())));
    } catch (YAMLException e) {
      throw new DescriptorException(sourceName, List.of(new DescriptorIssue("", 0, "YAML: " + e.getMessage())));
    }
    Reader r = new Reader();
    NfDescriptor d = r.descriptor(root);
    if (!r.issues.isEmpty()) {
      throw new DescriptorException(sourceName, r.issues);
    }
    return d;
  }

  private static final class Reader {
    final List<DescriptorIssue> issues = new ArrayList<>();

    NfDescriptor descriptor(Node root) {
      Map<String, Node> m = mapping(root, "", TOP_KEYS);
      if (m == null) {
        return new NfDescriptor(null, null, null, null, List.of(), null, null);
      }
      List<NfDescriptor.Port> ports = new ArrayList<>();
      Node portsNode = m.get("ports");
      if (portsNode instanceof SequenceNode seq) {
        for (int i = 0; i < seq.getValue().size(); i++) {
          String f = "ports[" + i + "]";
          Map<String, Node> pm = mapping(seq.getValue().get(i), f, PORT_KEYS);
          if (pm != null) {
            ports.add(new NfDescriptor.Port(string(pm.get("name"), f + ".name"),
                string(pm.get("description"), f + ".description")));
          }
        }
      } else if (portsNode != null) {
        issue(portsNode, "ports", "must be a list");
      }
      NfDescriptor.Resources res = null;
      Node resNode = m.get("resources");
      if (resNode != null) {
        Map<String, Node> rm = mapping(resNode, "resources", RESOURCE_KEYS);
        if (rm != null) {
          res = new NfDescriptor.Resources(
              integer(rm.get("memoryMiB"), "resources.memoryMiB", 0),
              integer(rm.get("cpuWeight"), "resources.cpuWeight", NfDescriptor.Resources.DEFAULT_CPU_WEIGHT),
              integer(rm.get("pidsMax"), "resources.pidsMax", NfDescriptor.Resources.DEFAULT_PIDS_MAX));
        }
      }
      return new NfDescriptor(
          string(m.get("name"), "name"),
          string(m.get("version"), "version"),
          string(m.get("description"), "description"),
          string(m.get("vendor"), "vendor"),
          ports, res,
          string(m.get("clickConfig"), "clickConfig"));
    }

    Map<String, Node> mapping(Node n, String field, Set<String> allowed) {
      if (!(n instanceof MappingNode mn)) {
        issue(n, field.isEmpty() ? "(document)" : field, "must be a mapping");
        return null;
      }
      Map<String, Node> out = new HashMap<>();
      for (NodeTuple t : mn.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k)) {
          issue(t.getKeyNode(), field, "keys must be plain strings");
          continue;
        }
        String key = k.getValue();
        String path = field.isEmpty() ? key : field + "." + key;
        if (!allowed.contains(key)) {
          issue(k, path, "unknown field (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
          continue;
        }
        out.put(key, t.getValueNode());
      }
      return out;
    }

    String string(Node n, String field) {
      if (n == null) {
        return null;
      }
      if (n instanceof ScalarNode s) {
        return s.getValue();
      }
      issue(n, field, "must be a string");
      return null;
    }

    int integer(Node n, String field, int dflt) {
      if (n == null) {
        return dflt;
      }
      if (n instanceof ScalarNode s) {
        try {
          return Integer.parseInt(s.getValue().trim());
        } catch (NumberFormatException e) {
          issue(n, field, "must be an integer, got '" + s.getValue() + "'");
          return dflt;
        }
      }
      issue(n, field, "must be an integer");
      return dflt;
    }

    void issue(Node n, String field, String message) {
      int line = n != null && n.getStartMark() != null ? n.getStartMark().getLine() + 1 : 0;
      issues.add(new DescriptorIssue(field, line, message));
    }
  }
}
