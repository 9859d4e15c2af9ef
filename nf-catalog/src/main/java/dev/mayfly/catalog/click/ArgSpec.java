package dev.mayfly.catalog.click;

import dev.mayfly.catalog.click.ElementSpec.ArgumentCheck;
import dev.mayfly.catalog.click.ElementSpec.Checked;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One argument an element class reads through the clickos runtime's shared argument reader
 * ({@code args_read} in clickos-images/src/args.c): its keyword, type, and whether it may be
 * given by position and must be given. {@link #reader(ArgSpec...)} checks a configuration
 * string the same way: positional arguments first (until one starts with a known KEYWORD),
 * then {@code KEYWORD value} arguments, each value parsed by its type.
 *
 * <p>The check is deliberately lenient where the runtime may have grown since the table
 * was written: unknown keywords and surplus arguments are left to the runtime, so a newer
 * runtime's arguments are never refused here. Types and mandatory arguments are checked.
 */
public record ArgSpec(String keyword, Type type, boolean positional, boolean mandatory) {

  /** Argument types, as {@code ArgType} in clickos.h. */
  public enum Type {
    INT("integer"), UINT("unsigned integer"), U64("unsigned integer"), BOOL("boolean"),
    STR("string"), WORD("word"), ANY("argument"), IP("IP address"), ETH("Ethernet address"),
    DOUBLE("real number"), TIME("time in seconds"), BANDWIDTH("bandwidth");

    private final String description;

    Type(String description) {
      this.description = description;
    }

    /** The runtime's message for a bad value: {@code expected unsigned integer}. */
    public String expected() {
      return "expected " + description;
    }
  }

  public static ArgSpec positional(String keyword, Type type) {
    return new ArgSpec(keyword, type, true, false);
  }

  public static ArgSpec mandatory(String keyword, Type type) {
    return new ArgSpec(keyword, type, true, true);
  }

  public static ArgSpec keyword(String keyword, Type type) {
    return new ArgSpec(keyword, type, false, false);
  }

  /** Length of the KEYWORD starting {@code s} ({@code "LIMIT 5"} gives 5), or 0. */
  static int keywordLength(String s) {
    if (s.isEmpty() || !(Character.isUpperCase(s.charAt(0)) && s.charAt(0) < 128 || s.charAt(0) == '_')) {
      return 0;
    }
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
        break;
      }
      i++;
    }
    if (i == s.length()) {
      return i;
    }
    return Character.isWhitespace(s.charAt(i)) ? i : 0;
  }

  /** An argument check reading {@code specs} as the runtime does. */
  public static Reader reader(ArgSpec... specs) {
    return new Reader(List.of(specs));
  }

  /** The argument check of {@link #reader(ArgSpec...)}, which keeps its specs. */
  public record Reader(List<ArgSpec> specs) implements ArgumentCheck {

    @Override
    public Checked check(String config) {
      return Checked.errors(read(specs, ClickArgs.split(config)));
    }
  }

  static List<String> read(List<ArgSpec> specs, List<String> args) {
    List<String> errors = new ArrayList<>();
    boolean[] seen = new boolean[specs.size()];
    int ai = 0;
    for (int si = 0; si < specs.size() && ai < args.size(); si++) {
      ArgSpec s = specs.get(si);
      if (!s.positional()) {
        continue;
      }
      String v = args.get(ai);
      int kl = keywordLength(v);
      if (kl > 0 && find(specs, v.substring(0, kl)) >= 0) {
        break;
      }
      if (!valid(s.type(), v)) {
        errors.add(s.keyword() + ": " + s.type().expected());
      }
      seen[si] = true;
      ai++;
    }
    for (; ai < args.size(); ai++) {
      String v = args.get(ai);
      int kl = keywordLength(v);
      int si = kl == 0 ? -1 : find(specs, v.substring(0, kl));
      if (si < 0) {
        continue; // surplus or unknown: the runtime decides
      }
      if (!valid(specs.get(si).type(), v.substring(kl).strip())) {
        errors.add(specs.get(si).keyword() + ": " + specs.get(si).type().expected());
      }
      seen[si] = true;
    }
    for (int si = 0; si < specs.size(); si++) {
      if (specs.get(si).mandatory() && !seen[si]) {
        errors.add("missing mandatory " + specs.get(si).keyword() + " argument");
      }
    }
    return errors;
  }

  private static int find(List<ArgSpec> specs, String kw) {
    for (int i = 0; i < specs.size(); i++) {
      if (specs.get(i).keyword().equals(kw)) {
        return i;
      }
    }
    return -1;
  }

  private static final Pattern REAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern TIME = Pattern.compile(
      "(\\+?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?) *(s|sec|secs|ms|msec|us|usec|ns|nsec|m|min|h|hr)?");
  private static final Pattern BANDWIDTH = Pattern.compile(
      "(\\+?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?) *[kKMG]?(|Bps|B/s|bps|b/s|baud)");
  private static final Pattern ETH = Pattern.compile(
      "[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}");

  /** Whether {@code v} parses as {@code type}, by the runtime's parsers. */
  static boolean valid(Type type, String v) {
    return switch (type) {
      case INT -> {
        Long x = cInteger(v, true);
        yield x != null && x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE;
      }
      case UINT -> {
        Long x = cInteger(v, false);
        yield x != null && x <= 0xFFFFFFFFL;
      }
      case U64 -> cInteger(v, false) != null || v.matches("(0x[0-9a-fA-F]{1,16}|\\d{1,20})");
      case BOOL -> switch (v) {
        case "true", "1", "yes", "t", "y", "false", "0", "no", "f", "n" -> true;
        default -> false;
      };
      case STR, ANY -> true;
      case WORD -> !v.isEmpty() && v.chars().noneMatch(Character::isWhitespace);
      case IP -> cIp(v);
      case ETH -> ETH.matcher(v).matches();
      case DOUBLE -> REAL.matcher(v).matches() && Double.isFinite(Double.parseDouble(v));
      case TIME -> {
        var m = TIME.matcher(v);
        if (!m.matches()) {
          yield false;
        }
        String unit = m.group(4) == null ? "s" : m.group(4);
        double mul = switch (unit) {
          case "ms", "msec" -> 1e6;
          case "us", "usec" -> 1e3;
          case "ns", "nsec" -> 1;
          case "m", "min" -> 60e9;
          case "h", "hr" -> 3600e9;
          default -> 1e9;
        };
        double ns = Double.parseDouble(m.group(1)) * mul;
        yield Double.isFinite(ns) && ns <= 1.8e19;
      }
      case BANDWIDTH -> BANDWIDTH.matcher(v).matches();
    };
  }

  /** strtoll / strtoull with base 0 (decimal, 0x hex, 0 octal), the whole string. */
  private static Long cInteger(String v, boolean signed) {
    if (v.isEmpty() || Character.isWhitespace(v.charAt(0))) {
      return null;
    }
    String s = v;
    boolean neg = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      if (!signed) {
        return null;
      }
      neg = s.charAt(0) == '-';
      s = s.substring(1);
    }
    int radix = 10;
    if (s.length() > 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
      radix = 16;
      s = s.substring(2);
    } else if (s.length() > 1 && s.charAt(0) == '0') {
      radix = 8;
      s = s.substring(1);
    }
    if (s.isEmpty() || s.length() > 22) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), radix) < 0) {
        return null;
      }
    }
    try {
      long x = Long.parseLong(s, radix);
      return neg ? -x : x;
    } catch (NumberFormatException e) {
      return null; // beyond 64 bits: out of range for every type here
    }
  }

  /** The runtime's parse_ip: four decimal parts of 1-3 digits, each at most 255. */
  private static boolean cIp(String v) {
    String[] p = v.split("\\.", -1);
    if (p.length != 4) {
      return false;
    }
    for (String x : p) {
      if (x.isEmpty() || x.length() > 3 || !x.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(x) > 255) {
        return false;
      }
    }
    return true;
  }
}
