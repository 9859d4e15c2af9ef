package dev.mayfly.controller.firewall;

import dev.mayfly.catalog.firewall.CompiledFirewall;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.catalog.firewall.PolicyException;
import dev.mayfly.catalog.firewall.PolicyValidator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Compiles each distinct policy once. Bulk provisioning hands thousands of subscribers the
 * same policy, and a compile (filters, graph, {@code ClickValidator} parse of the whole
 * configuration) costs far more than a map lookup. The UE address is the only per-subscriber
 * part of a compiled firewall: the policy is compiled once for {@link #PLACEHOLDER} and the
 * subscriber's address is put in its place, which gives exactly what
 * {@link FirewallCompiler#compile} gives for that address (checked in the tests). Policies
 * whose text contains the placeholder, or whose configuration comes near the size limit (where
 * the compiler drops comments depending on the length), are compiled directly. Thread-safe;
 * a small LRU keyed by the stored policy JSON.
 */
@Component
public class CompiledPolicies {

  /** A unicast address of the longest form: a real address is never longer, so the result never grows. */
  static final String PLACEHOLDER = "223.255.255.254";
  private static final int MAX_ENTRIES = 256;

  /** A compiled policy for {@link #PLACEHOLDER}; null template: compile each time. */
  private record Entry(CompiledFirewall template) {}

  private final Map<String, Entry> cache = lru();
  private final Map<String, FirewallPolicy> models = lru();

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > MAX_ENTRIES;
      }
    };
  }

  /** The nf-catalog model of a stored policy (JSON, as written by {@link PolicyMapper#toJson}). */
  public FirewallPolicy model(String json) {
    FirewallPolicy m;
    synchronized (models) {
      m = models.get(json);
    }
    if (m == null) {
      m = PolicyMapper.toModel(PolicyMapper.fromJson(json));
      synchronized (models) {
        models.put(json, m);
      }
    }
    return m;
  }

  /**
   * The compiled firewall of {@code policy} for {@code ueIp}; {@code key} identifies the
   * policy (its canonical JSON, or any string unique to it).
   *
   * @throws PolicyException as {@link FirewallCompiler#compile} (naming {@code rules[i].x})
   */
  public CompiledFirewall compile(String key, FirewallPolicy policy, String ueIp) {
    if (key.contains(PLACEHOLDER)) {
      return FirewallCompiler.compile(policy, ueIp);
    }
    Entry e;
    synchronized (cache) {
      e = cache.get(key);
    }
    if (e == null) {
      CompiledFirewall t = FirewallCompiler.compile(policy, PLACEHOLDER); // throws for a bad policy: not cached
      boolean usable = farBelowLimit(t.clickConfig());
      e = new Entry(usable ? t : null);
      synchronized (cache) {
        cache.put(key, e);
      }
    }
    if (e.template() == null) {
      return FirewallCompiler.compile(policy, ueIp);
    }
    if (!PolicyValidator.validateUeIp(ueIp).isEmpty()) {
      return FirewallCompiler.compile(policy, ueIp); // throws naming ueIp, as without the cache
    }
    String ue = ueIp.strip();
    CompiledFirewall t = e.template();
    return new CompiledFirewall(t.clickConfig().replace(PLACEHOLDER, ue), t.outboundFilter().replace(PLACEHOLDER, ue),
        t.inboundFilter().replace(PLACEHOLDER, ue), t.stateful());
  }

  /** Entries held (tests). */
  int size() {
    synchronized (cache) {
      return cache.size();
    }
  }

  /** Below this size the compiler always keeps the fully commented form, whatever the address. */
  static boolean farBelowLimit(String config) {
    return config.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 64 < FirewallCompiler.MAX_CONFIG_BYTES;
  }
}
