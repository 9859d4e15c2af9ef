package dev.mayfly.catalog;

import dev.mayfly.catalog.click.ClickError;
import dev.mayfly.catalog.click.ClickValidator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Semantic rules for a descriptor, shared by the YAML loader and the controller's REST
 * onboarding (which receives JSON). The same limits are stated in api-spec/openapi.yaml.
 * The Click configuration is parsed and checked against the runtime's element table, so
 * a bad configuration is refused at onboarding with {@code config:LINE: message}.
 */
public final class DescriptorValidator {

  public static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9-]{0,62}$");
  public static final Pattern PORT_NAME = Pattern.compile("^[a-z][a-z0-9_-]{0,14}$");
  public static final int MAX_PORTS = 16;
  public static final int MAX_CLICK_CONFIG = 256 * 1024;

  private DescriptorValidator() {}

  /** Every problem of {@code d}; empty when valid. */
  public static List<DescriptorIssue> validate(NfDescriptor d) {
    List<DescriptorIssue> out = new ArrayList<>();
    if (d.name() == null || d.name().isBlank()) {
      out.add(new DescriptorIssue("name", 0, "is required"));
    } else if (!NAME.matcher(d.name()).matches()) {
      out.add(new DescriptorIssue("name", 0, "must match " + NAME.pattern()));
    }
    if (d.version() == null || d.version().isBlank()) {
      out.add(new DescriptorIssue("version", 0, "is required"));
    } else if (d.version().length() > 64) {
      out.add(new DescriptorIssue("version", 0, "must be at most 64 characters"));
    }
    if (d.description() != null && d.description().length() > 1024) {
      out.add(new DescriptorIssue("description", 0, "must be at most 1024 characters"));
    }
    if (d.vendor() != null && d.vendor().length() > 128) {
      out.add(new DescriptorIssue("vendor", 0, "must be at most 128 characters"));
    }
    if (d.ports().size() > MAX_PORTS) {
      out.add(new DescriptorIssue("ports", 0, "at most " + MAX_PORTS + " ports"));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < d.ports().size(); i++) {
      NfDescriptor.Port p = d.ports().get(i);
      String f = "ports[" + i + "].name";
      if (p.name() == null || p.name().isBlank()) {
        out.add(new DescriptorIssue(f, 0, "is required"));
      } else if (!PORT_NAME.matcher(p.name()).matches()) {
        out.add(new DescriptorIssue(f, 0, "must match " + PORT_NAME.pattern()));
      } else if (!seen.add(p.name())) {
        out.add(new DescriptorIssue(f, 0, "duplicate port name '" + p.name() + "'"));
      }
    }
    if (d.resources() == null) {
      out.add(new DescriptorIssue("resources", 0, "is required"));
    } else {
      range(out, "resources.memoryMiB", d.resources().memoryMiB(), 1, 65536);
      range(out, "resources.cpuWeight", d.resources().cpuWeight(), 1, 10000);
      range(out, "resources.pidsMax", d.resources().pidsMax(), 1, 4096);
    }
    if (d.clickConfig() == null || d.clickConfig().isBlank()) {
      out.add(new DescriptorIssue("clickConfig", 0, "is required"));
    } else if (d.clickConfig().length() > MAX_CLICK_CONFIG) {
      out.add(new DescriptorIssue("clickConfig", 0, "must be at most " + MAX_CLICK_CONFIG + " characters"));
    } else {
      // the same parser and element table the runtime uses: "config:LINE: message"
      for (ClickError e : ClickValidator.standard().check(d.clickConfig()).errors()) {
        out.add(new DescriptorIssue("clickConfig", 0, e.render()));
      }
    }
    return out;
  }

  private static void range(List<DescriptorIssue> out, String field, int v, int min, int max) {
    if (v < min || v > max) {
      out.add(new DescriptorIssue(field, 0, "must be between " + min + " and " + max + ", got " + v));
    }
  }
}
