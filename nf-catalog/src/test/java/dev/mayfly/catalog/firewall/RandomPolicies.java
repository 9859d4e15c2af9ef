package dev.mayfly.catalog.firewall;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded generators of valid and of arbitrary (mostly invalid) policies, for tests. */
final class RandomPolicies {

  private RandomPolicies() {}

  static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  static String validCidr(Random r) {
    switch (r.nextInt(5)) {
      case 0:
        return null;
      case 1:
        return "0.0.0.0/0";
      case 2:
        return (1 + r.nextInt(223)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
      default:
        int len = r.nextInt(33);
        int addr = r.nextInt();
        int mask = len == 0 ? 0 : -1 << (32 - len);
        return Ipv4.format(addr & mask) + "/" + len;
    }
  }

  static Rule validRule(Random r) {
    Protocol p = pick(r, Protocol.values());
    Integer from = null;
    Integer to = null;
    if (p.hasPorts() && r.nextInt(3) > 0) {
      from = 1 + r.nextInt(65535);
      if (r.nextBoolean()) {
        to = from + r.nextInt(65536 - from);
      }
    }
    String desc = r.nextInt(3) == 0 ? null : randomText(r, r.nextInt(PolicyValidator.MAX_DESCRIPTION + 1));
    return new Rule(pick(r, Action.values()), pick(r, Direction.values()), p, validCidr(r), from, to, desc);
  }

  static FirewallPolicy validPolicy(Random r) {
    int n = r.nextInt(20) == 0 ? PolicyValidator.MAX_RULES : r.nextInt(24);
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rules.add(validRule(r));
    }
    return new FirewallPolicy(rules, pick(r, Action.values()), pick(r, Action.values()), r.nextBoolean());
  }

  static String validUe(Random r) {
    return (1 + r.nextInt(126)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
  }

  static String randomText(Random r, int len) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < len; i++) {
      int k = r.nextInt(10);
      b.append(k < 6 ? (char) (32 + r.nextInt(95)) : k < 8 ? "\n)(;,/*//->::$".charAt(r.nextInt(14))
          : (char) r.nextInt(0xD000));
    }
    return b.toString();
  }

  private static final String[] CIDR_NOISE = {"10.0.0.300/8", "10.0.0.0/33", "10.1.0.0/8", "", " ", "::1",
      "10.0.0.0/-1", "999.1.1.1", "10.0.0.0/8/8", "1.2.3", "0x0a000000/8", "10.0.0.0/ 8", "١٠.0.0.0/8"};
  private static final Integer[] PORT_NOISE = {null, 0, -1, 1, 80, 65535, 65536, Integer.MIN_VALUE,
      Integer.MAX_VALUE, 443, 1000};

  /** Any field can be null or out of range; about one in four rules is the valid kind. */
  static Rule arbitraryRule(Random r) {
    if (r.nextInt(4) == 0) {
      return validRule(r);
    }
    if (r.nextInt(30) == 0) {
      return null;
    }
    String cidr = switch (r.nextInt(4)) {
      case 0 -> pick(r, CIDR_NOISE);
      case 1 -> randomText(r, r.nextInt(25));
      default -> validCidr(r);
    };
    return new Rule(r.nextInt(10) == 0 ? null : pick(r, Action.values()),
        r.nextInt(10) == 0 ? null : pick(r, Direction.values()),
        r.nextInt(10) == 0 ? null : pick(r, Protocol.values()), cidr,
        r.nextBoolean() ? pick(r, PORT_NOISE) : r.nextInt(70000) - 1000,
        r.nextBoolean() ? pick(r, PORT_NOISE) : null,
        r.nextInt(5) == 0 ? randomText(r, r.nextInt(400)) : null);
  }

  static FirewallPolicy arbitraryPolicy(Random r) {
    int n = r.nextInt(100) == 0 ? PolicyValidator.MAX_RULES + r.nextInt(3) : r.nextInt(12);
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rules.add(arbitraryRule(r));
    }
    return new FirewallPolicy(rules, r.nextInt(15) == 0 ? null : pick(r, Action.values()),
        r.nextInt(15) == 0 ? null : pick(r, Action.values()), r.nextBoolean());
  }
}
