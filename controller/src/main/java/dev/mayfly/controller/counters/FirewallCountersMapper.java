package dev.mayfly.controller.counters;

import dev.mayfly.api.model.DirectionCounters;
import dev.mayfly.api.model.FirewallCounters;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a firewall guest's read handlers into {@link FirewallCounters}. Element names are the
 * ones {@link FirewallCompiler} generates:
 *
 * <ul>
 *   <li>allowed outbound = {@code core_out.count} (frames the guest sent to the core: what
 *       passed {@code out_filter}, plus ARP); allowed inbound = {@code access_out.count};</li>
 *   <li>denied outbound = {@code out_filter.drops}; denied inbound = {@code in_filter.drops}
 *       plus {@code fw.drops} (outside packets the flow table refused when it has no third
 *       output; 0 in the compiled graph, kept for other layouts);</li>
 *   <li>flows = {@code fw.size} (absent for a stateless policy, which has no {@code fw}).</li>
 * </ul>
 *
 * Handlers that are not integers (none in the stats area today) are left out of
 * {@code handlers}. A handler that is missing counts as 0.
 */
public final class FirewallCountersMapper {

  /** ToDevice towards the core bridge (FirewallCompiler's graph). */
  public static final String CORE_OUT = "core_out";
  /** ToDevice towards the subscriber's attachment. */
  public static final String ACCESS_OUT = "access_out";

  private FirewallCountersMapper() {}

  public static FirewallCounters map(String subscriberId, String node, String guestId, Map<String, String> raw,
      OffsetDateTime readAt, double millis) {
    Map<String, Long> h = new TreeMap<>();
    raw.forEach((k, v) -> {
      Long n = parse(v);
      if (n != null) {
        h.put(k, n);
      }
    });
    String fw = FirewallCompiler.FLOW_FIREWALL;
    FirewallCounters c = new FirewallCounters()
        .subscriberId(subscriberId).node(node).guestId(guestId).readAt(readAt)
        .readMillis(Math.round(millis * 100) / 100.0)
        .outbound(new DirectionCounters()
            .allowed(get(h, CORE_OUT + ".count"))
            .denied(get(h, FirewallCompiler.OUT_FILTER + ".drops")))
        .inbound(new DirectionCounters()
            .allowed(get(h, ACCESS_OUT + ".count"))
            .denied(get(h, FirewallCompiler.IN_FILTER + ".drops") + get(h, fw + ".drops")))
        .handlers(h);
    if (h.containsKey(fw + ".size")) {
      c.flows(h.get(fw + ".size"));
    }
    return c;
  }

  private static long get(Map<String, Long> h, String key) {
    Long v = h.get(key);
    return v == null ? 0 : v;
  }

  static Long parse(String v) {
    if (v == null) {
      return null;
    }
    String t = v.trim();
    if (t.isEmpty() || t.length() > 19) {
      return null;
    }
    for (int i = 0; i < t.length(); i++) {
      if (!Character.isDigit(t.charAt(i)) && !(i == 0 && t.charAt(0) == '-' && t.length() > 1)) {
        return null;
      }
    }
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
