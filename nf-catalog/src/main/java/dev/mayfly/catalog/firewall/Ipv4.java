package dev.mayfly.catalog.firewall;

import java.util.regex.Pattern;

/** Strict dotted-quad IPv4 addresses and CIDR prefixes (no leading zeros, no short forms). */
final class Ipv4 {

  private static final Pattern ADDR =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern LEN = Pattern.compile("[12]?\\d|3[0-2]");

  /** A parsed prefix; {@code len} 0..32. */
  record Prefix(int address, int len) {

    int mask() {
      return len == 0 ? 0 : -1 << (32 - len);
    }

    boolean hostBitsSet() {
      return (address & ~mask()) != 0;
    }

    Prefix network() {
      return new Prefix(address & mask(), len);
    }

    String addressText() {
      return format(address);
    }

    @Override
    public String toString() {
      return format(address) + "/" + len;
    }
  }

  private Ipv4() {}

  static boolean isAddress(String s) {
    return s != null && s.length() <= 15 && ADDR.matcher(s).matches();
  }

  static int parseAddress(String s) {
    String[] p = s.split("\\.");
    int v = 0;
    for (String x : p) {
      v = v << 8 | Integer.parseInt(x);
    }
    return v;
  }

  /** {@code ADDR} (= /32) or {@code ADDR/LEN}; null when malformed. */
  static Prefix parsePrefix(String s) {
    if (s == null || s.length() > 18) {
      return null;
    }
    int slash = s.indexOf('/');
    String a = slash < 0 ? s : s.substring(0, slash);
    if (!isAddress(a)) {
      return null;
    }
    int len = 32;
    if (slash >= 0) {
      String l = s.substring(slash + 1);
      if (!LEN.matcher(l).matches() || (l.length() > 1 && l.charAt(0) == '0')) {
        return null;
      }
      len = Integer.parseInt(l);
    }
    return new Prefix(parseAddress(a), len);
  }

  static String format(int a) {
    return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
  }
}
