package dev.mayfly.catalog.click;

import java.util.List;

/**
 * Tokenises the Click graph language. Argument text is never tokenised: after a class name
 * the parser asks for the raw text up to the matching parenthesis ({@link #balanced()}).
 */
final class ClickLexer {

  enum T { EOF, IDENT, VAR, DCOLON, ARROW, LBRACK, RBRACK, LPAREN, RPAREN, LBRACE, RBRACE, COMMA,
    SEMI, BAR, OTHER }

  record Tok(T t, String s, int line, int col) {
    String show() {
      return switch (t) {
        case EOF -> "end of input";
        case IDENT -> "'" + s + "'";
        case VAR -> "'$" + s + "'";
        default -> "'" + s + "'";
      };
    }
  }

  private final String text;
  private final List<ClickError> errors;
  private int pos;
  private int line;
  private int lineStart;
  private final int firstLine;
  private final int firstCol;
  private Tok la;

  /**
   * @param firstLine line of the first character of {@code text}
   * @param firstCol 1-based column of the first character (for compound bodies)
   */
  ClickLexer(String text, int firstLine, int firstCol, List<ClickError> errors) {
    this.text = text;
    this.line = firstLine;
    this.firstLine = firstLine;
    this.firstCol = firstCol;
    this.errors = errors;
  }

  int line() {
    return line;
  }

  int column() {
    return col(pos);
  }

  private int col(int p) {
    int c = p - lineStart + 1;
    return line == firstLine ? c + firstCol - 1 : c;
  }

  private static boolean identChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
        || c == '@' || c == '/';
  }

  private void newline() {
    line++;
    lineStart = pos + 1;
  }

  private void skipSpace() {
    int n = text.length();
    while (true) {
      while (pos < n && Character.isWhitespace(text.charAt(pos))) {
        if (text.charAt(pos) == '\n') {
          newline();
        }
        pos++;
      }
      if (pos + 1 < n && text.charAt(pos) == '/' && text.charAt(pos + 1) == '/') {
        while (pos < n && text.charAt(pos) != '\n') {
          pos++;
        }
        continue;
      }
      if (pos + 1 < n && text.charAt(pos) == '/' && text.charAt(pos + 1) == '*') {
        int l = line;
        int c = col(pos);
        pos += 2;
        while (pos < n && !(text.charAt(pos) == '*' && pos + 1 < n && text.charAt(pos + 1) == '/')) {
          if (text.charAt(pos) == '\n') {
            newline();
          }
          pos++;
        }
        if (pos >= n) {
          errors.add(new ClickError(l, c, "unterminated comment"));
        }
        pos = Math.min(n, pos + 2);
        continue;
      }
      if (pos < n && text.charAt(pos) == '#' && (pos == 0 || text.charAt(pos - 1) == '\n')) {
        // preprocessor-style line (#!..., # LINE "file"): ignored, as clickos does
        while (pos < n && text.charAt(pos) != '\n') {
          pos++;
        }
        continue;
      }
      break;
    }
  }

  private Tok lexRaw() {
    skipSpace();
    int n = text.length();
    int l = line;
    int c = col(pos);
    if (pos >= n) {
      return new Tok(T.EOF, "", l, c);
    }
    char ch = text.charAt(pos);
    char c1 = pos + 1 < n ? text.charAt(pos + 1) : 0;
    if (ch == ':' && c1 == ':') {
      pos += 2;
      return new Tok(T.DCOLON, "::", l, c);
    }
    if (ch == '-' && c1 == '>') {
      pos += 2;
      return new Tok(T.ARROW, "->", l, c);
    }
    if (ch == '$') {
      int i = pos + 1;
      String name;
      if (c1 == '{') {
        int end = text.indexOf('}', pos + 2);
        int nl = text.indexOf('\n', pos + 2);
        if (end < 0 || (nl >= 0 && nl < end)) {
          pos = nl < 0 ? n : nl;
          errors.add(new ClickError(l, c, "unterminated '${'"));
          return new Tok(T.VAR, "", l, c);
        }
        name = text.substring(pos + 2, end);
        pos = end + 1;
      } else {
        while (i < n && (Character.isLetterOrDigit(text.charAt(i)) && text.charAt(i) < 128
            || text.charAt(i) == '_')) {
          i++;
        }
        name = text.substring(pos + 1, i);
        pos = i;
      }
      return new Tok(T.VAR, name, l, c);
    }
    if (identChar(ch)) {
      int i = pos;
      while (i < n && identChar(text.charAt(i))) {
        if (text.charAt(i) == '/' && i + 1 < n
            && (text.charAt(i + 1) == '/' || text.charAt(i + 1) == '*')) {
          break;
        }
        i++;
      }
      String s = text.substring(pos, i);
      pos = i;
      return new Tok(T.IDENT, s, l, c);
    }
    pos++;
    T t = switch (ch) {
      case '[' -> T.LBRACK;
      case ']' -> T.RBRACK;
      case '(' -> T.LPAREN;
      case ')' -> T.RPAREN;
      case '{' -> T.LBRACE;
      case '}' -> T.RBRACE;
      case ',' -> T.COMMA;
      case ';' -> T.SEMI;
      case '|' -> T.BAR;
      default -> T.OTHER;
    };
    if (t == T.OTHER && Character.isHighSurrogate(ch) && pos < n) {
      pos++;
      return new Tok(t, text.substring(pos - 2, pos), l, c);
    }
    return new Tok(t, String.valueOf(ch), l, c);
  }

  private T last = T.EOF;

  Tok next() {
    Tok t;
    if (la != null) {
      t = la;
      la = null;
    } else {
      t = lexRaw();
    }
    last = t.t();
    return t;
  }

  /** The kind of the last token {@link #next()} returned. */
  T last() {
    return last;
  }

  Tok peek() {
    if (la == null) {
      la = lexRaw();
    }
    return la;
  }

  /**
   * The raw text after an opening bracket (already consumed) up to its matching closing
   * bracket, which is consumed. Quotes and comments are skipped when matching. Returns
   * {@code null} at end of input.
   */
  String balanced() {
    if (la != null) {
      throw new IllegalStateException("balanced() with a lookahead token");
    }
    int depth = 1;
    int st = pos;
    char q = 0;
    int n = text.length();
    while (pos < n) {
      char c = text.charAt(pos);
      if (c == '\n') {
        newline();
      }
      if (q != 0) {
        if (c == '\\' && q == '"' && pos + 1 < n) {
          pos++;
          if (text.charAt(pos) == '\n') {
            newline();
          }
        } else if (c == q) {
          q = 0;
        }
        pos++;
        continue;
      }
      if (c == '/' && pos + 1 < n && text.charAt(pos + 1) == '/') {
        while (pos < n && text.charAt(pos) != '\n') {
          pos++;
        }
        continue;
      }
      if (c == '/' && pos + 1 < n && text.charAt(pos + 1) == '*') {
        pos += 2;
        while (pos < n && !(text.charAt(pos) == '*' && pos + 1 < n && text.charAt(pos + 1) == '/')) {
          if (text.charAt(pos) == '\n') {
            newline();
          }
          pos++;
        }
        pos = Math.min(n, pos + 2);
        continue;
      }
      if (c == '"' || c == '\'') {
        q = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        if (--depth == 0) {
          String r = text.substring(st, pos);
          pos++;
          return r;
        }
      }
      pos++;
    }
    return null;
  }
}
