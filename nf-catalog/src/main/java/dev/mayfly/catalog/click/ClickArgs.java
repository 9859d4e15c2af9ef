package dev.mayfly.catalog.click;

import java.util.ArrayList;
import java.util.List;

/**
 * Click's argument splitting ({@code cp_argvec}): comments are removed, the text is split at
 * commas outside quotes and brackets, and each argument is trimmed. The same rules as the
 * clickos runtime's {@code args_split}.
 */
public final class ClickArgs {

  private ClickArgs() {}

  /** Removes {@code //} and {@code /* *&#47;} comments outside quotes, and trims. */
  public static String stripComments(String s) {
    StringBuilder o = new StringBuilder(s.length());
    char q = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (q != 0) {
        o.append(c);
        if (c == '\\' && q == '"' && i + 1 < n) {
          o.append(s.charAt(++i));
          continue;
        }
        if (c == q) {
          q = 0;
        }
        continue;
      }
      if (c == '"' || c == '\'') {
        q = c;
        o.append(c);
        continue;
      }
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
        if (i >= n) {
          break;
        }
        o.append('\n');
        continue;
      }
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        if (end < 0) {
          break;
        }
        i = end + 1;
        o.append(' ');
        continue;
      }
      o.append(c);
    }
    return o.toString().strip();
  }

  /**
   * Splits a configuration string into arguments. An empty (or all-comment) string gives an
   * empty list; {@code "a,"} gives {@code ["a", ""]} as in Click.
   */
  public static List<String> split(String conf) {
    List<String> out = new ArrayList<>();
    if (conf == null) {
      return out;
    }
    String c = stripComments(conf);
    if (c.isEmpty()) {
      return out;
    }
    int depth = 0;
    char q = 0;
    int start = 0;
    int n = c.length();
    for (int i = 0; i < n; i++) {
      char ch = c.charAt(i);
      if (q != 0) {
        if (ch == '\\' && q == '"' && i + 1 < n) {
          i++;
        } else if (ch == q) {
          q = 0;
        }
        continue;
      }
      if (ch == '"' || ch == '\'') {
        q = ch;
      } else if (ch == '(' || ch == '[' || ch == '{') {
        depth++;
      } else if ((ch == ')' || ch == ']' || ch == '}') && depth > 0) {
        depth--;
      } else if (ch == ',' && depth == 0) {
        out.add(c.substring(start, i).strip());
        start = i + 1;
      }
    }
    out.add(c.substring(start).strip());
    return out;
  }

  /** Splits at whitespace outside quotes (Click's {@code cp_spacevec}). */
  public static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (true) {
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int st = i;
      char q = 0;
      while (i < n && (q != 0 || !Character.isWhitespace(s.charAt(i)))) {
        char c = s.charAt(i);
        if (q != 0) {
          if (c == q) {
            q = 0;
          }
        } else if (c == '"' || c == '\'') {
          q = c;
        }
        i++;
      }
      out.add(s.substring(st, i));
    }
    return out;
  }
}
