package dev.mayfly.catalog.click;

/**
 * A Click port count specification such as {@code "1/1"}, {@code "1/-"}, {@code "0/1-2"},
 * {@code "1-/1"} or {@code "-/="}: the allowed numbers of inputs and outputs.
 *
 * @param inLow fewest inputs
 * @param inHigh most inputs ({@link Integer#MAX_VALUE} = unbounded)
 * @param outLow fewest outputs
 * @param outHigh most outputs
 * @param outputsEqualInputs {@code "="}: as many outputs as inputs
 */
public record PortCount(int inLow, int inHigh, int outLow, int outHigh, boolean outputsEqualInputs) {

  public static final int UNBOUNDED = Integer.MAX_VALUE;

  /** Parses Click's port count syntax; throws {@link IllegalArgumentException} if malformed. */
  public static PortCount parse(String spec) {
    int slash = spec.indexOf('/');
    String in = slash < 0 ? spec : spec.substring(0, slash);
    String out = slash < 0 ? spec : spec.substring(slash + 1);
    int[] i = range(in, spec);
    if (out.equals("=")) {
      return new PortCount(i[0], i[1], i[0], i[1], true);
    }
    int[] o = range(out, spec);
    return new PortCount(i[0], i[1], o[0], o[1], false);
  }

  private static int[] range(String s, String spec) {
    try {
      if (s.equals("-")) {
        return new int[] {0, UNBOUNDED};
      }
      int dash = s.indexOf('-');
      if (dash < 0) {
        int v = Integer.parseInt(s);
        return new int[] {v, v};
      }
      int lo = dash == 0 ? 0 : Integer.parseInt(s.substring(0, dash));
      int hi = dash == s.length() - 1 ? UNBOUNDED : Integer.parseInt(s.substring(dash + 1));
      if (lo < 0 || hi < lo) {
        throw new IllegalArgumentException("bad port count '" + spec + "'");
      }
      return new int[] {lo, hi};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port count '" + spec + "'", e);
    }
  }

  @Override
  public String toString() {
    return part(inLow, inHigh) + "/" + (outputsEqualInputs ? "=" : part(outLow, outHigh));
  }

  private static String part(int lo, int hi) {
    if (lo == hi) {
      return Integer.toString(lo);
    }
    if (hi == UNBOUNDED) {
      return lo == 0 ? "-" : lo + "-";
    }
    return lo + "-" + hi;
  }
}
