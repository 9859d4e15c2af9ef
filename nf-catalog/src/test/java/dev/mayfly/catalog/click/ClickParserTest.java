package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClickParserTest {

  private static ClickConfig ok(String text) {
    ClickResult r = ClickParser.parse(text);
    assertThat(r.errors()).as("errors for:\n%s", text).isEmpty();
    return r.config();
  }

  private static List<String> conns(ClickConfig c) {
    return c.connections().stream().map(ClickConnection::toString).toList();
  }

  private static ClickError onlyError(String text) {
    ClickResult r = ClickParser.parse(text);
    assertThat(r.errors()).as("errors for:\n%s", text).hasSize(1);
    return r.errors().get(0);
  }

  @Test
  void declarationsAndConnectionsWithPorts() {
    ClickConfig c = ok("""
        src :: InfiniteSource(LIMIT 5);
        t :: Tee(2);
        src -> t;
        t[1] -> [0]d :: Discard;
        t [0] -> Discard;
        """);
    assertThat(c.elements()).extracting(ClickElement::name)
        .containsExactly("src", "t", "d", "Discard@4");
    assertThat(c.element("src").orElseThrow().config()).isEqualTo("LIMIT 5");
    assertThat(c.element("t").orElseThrow().line()).isEqualTo(2);
    assertThat(c.element("Discard@4").orElseThrow().anonymous()).isTrue();
    assertThat(conns(c)).containsExactly("src [0] -> [0] t", "t [1] -> [0] d", "t [0] -> [0] Discard@4");
    assertThat(c.connections().get(1).line()).isEqualTo(4);
  }

  @Test
  void anonymousChainsAndMultipleDeclarations() {
    ClickConfig c = ok("a, b :: Counter; InfiniteSource -> Strip(14) -> a -> Queue(10) -> Unqueue -> b -> Discard;");
    assertThat(c.elements()).extracting(ClickElement::className)
        .containsExactly("Counter", "Counter", "InfiniteSource", "Strip", "Queue", "Unqueue", "Discard");
    assertThat(c.element("Strip@4").orElseThrow().config()).isEqualTo("14");
    assertThat(c.connections()).hasSize(6);
  }

  @Test
  void argumentTextStaysRawIncludingNestedParensQuotesAndNewlines() {
    ClickConfig c = ok("""
        f :: IPFilter(allow (tcp or udp) and dst port 80,
                      // a comment, with a comma
                      deny "quoted ) paren",
                      deny all);
        f -> Discard;
        """);
    String conf = c.element("f").orElseThrow().config();
    assertThat(conf).contains("allow (tcp or udp) and dst port 80,").contains("// a comment, with a comma")
        .contains("\"quoted ) paren\"");
    assertThat(ClickArgs.split(conf)).containsExactly("allow (tcp or udp) and dst port 80",
        "deny \"quoted ) paren\"", "deny all");
    assertThat(c.connections().get(0).line()).isEqualTo(5);
  }

  @Test
  void commentsAreSkippedAndLinesCounted() {
    ClickConfig c = ok("""
        // line 1
        /* line 2
           line 3 */ a :: Counter; // trailing
        /**/b :: Counter;
        a -> b;
        """);
    assertThat(c.element("a").orElseThrow().line()).isEqualTo(3);
    assertThat(c.element("b").orElseThrow().line()).isEqualTo(4);
    assertThat(c.connections().get(0).line()).isEqualTo(5);
  }

  @Test
  void namesMayContainSlashesButCommentsEndThem() {
    ClickConfig c = ok("a/b :: Counter// comment\n; x :: Discard; a/b -> x;");
    assertThat(c.element("a/b")).isPresent();
    assertThat(conns(c)).containsExactly("a/b [0] -> [0] x");
  }

  @Test
  void defineSubstitutesVariables() {
    ClickConfig c = ok("""
        define($DEV eth0, $N 10);
        define($LIMIT ${N}0);
        FromDevice($DEV) -> Queue($LIMIT) -> ToDevice(${DEV});
        Print($UNKNOWN) -> Discard;
        """);
    assertThat(c.elements()).extracting(ClickElement::config)
        .containsExactly("eth0", "100", "eth0", "$UNKNOWN", "");
  }

  @Test
  void commandLineDefinesWinOverDefine() {
    ClickResult r = ClickParser.parse("define($DEV eth0); FromDevice($DEV) -> Discard;", Map.of("DEV", "veth9"));
    assertThat(r.config().elements().get(0).config()).isEqualTo("veth9");
  }

  @Test
  void requireIsRecorded() {
    ClickConfig c = ok("require(package \"mayfly\"); require(clickos); Idle;");
    assertThat(c.requirements()).containsExactly("package \"mayfly\"", "clickos");
  }

  @Test
  void compoundElementsAreFlattenedWithFormals() {
    ClickConfig c = ok("""
        elementclass Limiter { $rate, $n |
          input -> q :: Queue($n) -> RatedUnqueue($rate) -> output;
        }
        elementclass Lim2 Limiter;
        src :: InfiniteSource;
        src -> l :: Limiter(100, 5) -> Discard;
        src2 :: InfiniteSource -> Lim2(7, 8) -> c :: Counter -> Discard;
        """);
    assertThat(c.element("l/q").orElseThrow().config()).isEqualTo("5");
    assertThat(c.elements()).extracting(ClickElement::name).contains("l/RatedUnqueue@5", "Lim2@8/q");
    assertThat(c.elements()).noneMatch(e -> e.className().equals(ClickParser.TUNNEL));
    assertThat(conns(c)).contains("src [0] -> [0] l/q", "l/RatedUnqueue@5 [0] -> [0] Discard@6");
    // the synonym expands the same body
    assertThat(c.elements()).filteredOn(e -> e.className().equals("Queue")).extracting(ClickElement::config)
        .containsExactly("5", "8");
    assertThat(conns(c)).anyMatch(s -> s.endsWith("-> [0] c"));
  }

  @Test
  void compoundWithSeveralPortsAndPassThrough() {
    ClickConfig c = ok("""
        elementclass Two {
          input[0] -> a :: Counter -> [0]output;
          input[1] -> [1]output;
        }
        s0 :: InfiniteSource; s1 :: InfiniteSource;
        t :: Two;
        s0 -> [0]t[0] -> Discard;
        s1 -> [1]t[1] -> d1 :: Discard;
        """);
    assertThat(conns(c)).containsExactlyInAnyOrder("s0 [0] -> [0] t/a", "t/a [0] -> [0] Discard@6",
        "s1 [0] -> [0] d1");
  }

  @Test
  void anonymousCompound() {
    ClickConfig c = ok("InfiniteSource -> { input -> Counter -> output } -> Discard;");
    assertThat(c.elements()).extracting(ClickElement::className)
        .containsExactly("InfiniteSource", "Counter", "Discard");
    assertThat(c.connections()).hasSize(2);
  }

  @Test
  void recursiveCompoundStops() {
    ClickResult r = ClickParser.parse("elementclass R { input -> R -> output } InfiniteSource -> R -> Discard;");
    assertThat(r.errors()).anyMatch(e -> e.message().contains("nesting too deep"));
  }

  @Test
  void unusedCompoundPortsAreReported() {
    ClickResult r = ClickParser.parse("""
        elementclass C { input -> Counter -> output }
        InfiniteSource -> [1]c :: C;
        """);
    assertThat(r.errors()).extracting(ClickError::render)
        .contains("config:2: compound element 'c' has no input 1");
  }

  @Test
  void errorsCarryLineAndColumn() {
    ClickError e = onlyError("a :: Counter;\n  b :: ;\n");
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.column()).isEqualTo(8);
    assertThat(e.render()).isEqualTo("config:2: syntax error: expected element class, got ';'");
  }

  @Test
  void eachSyntaxErrorKind() {
    assertThat(onlyError("a :: Counter;\na :: Counter;").render())
        .isEqualTo("config:2: redeclaration of element 'a'");
    assertThat(onlyError("\n\ninput :: Counter;").render()).isEqualTo("config:3: 'input' is reserved");
    assertThat(onlyError("a :: Counter -> ;").message()).startsWith("syntax error: expected element");
    assertThat(onlyError("x :: Counter;\nx ->").render()).isEqualTo("config:2: syntax error: connection ends with '->'");
    assertThat(onlyError("-> a").message()).contains("'->' with no element before it");
    assertThat(onlyError("x :: Counter; x[a] -> x").message()).contains("bad port number 'a'");
    assertThat(onlyError("x :: Counter; x[1 -> x").message()).contains("expected ']'");
    assertThat(onlyError("x :: Counter; x[1];").message()).contains("output port with no connection");
    assertThat(onlyError("[0] x :: Counter;").message()).contains("input port with no connection");
    assertThat(onlyError("\nq :: Queue(10").render()).isEqualTo("config:2: unterminated configuration string for 'Queue'");
    assertThat(onlyError("a :: Counter; /* open").message()).isEqualTo("unterminated comment");
    assertThat(ClickParser.parse("elementclass { }").errors().get(0).message())
        .contains("expected element class name");
    assertThat(onlyError("elementclass X { a :: Counter").message()).contains("unterminated elementclass 'X'");
    assertThat(onlyError("define(N 1);").message()).contains("expected '$VARIABLE value'");
    assertThat(onlyError("$X -> a").message()).contains("unexpected variable '$X'");
    assertThat(onlyError("a :: Counter; % a").message()).contains("syntax error near '%'");
    assertThat(onlyError("a, b :: Counter -> Discard;").message()).contains("multiple declarations in a connection");
    assertThat(onlyError("elementclass C { input -> output } c :: C(1);").message())
        .contains("compound element 'C' takes no arguments");
    assertThat(onlyError("elementclass C { $a | input -> output } c :: C(1, 2);").message())
        .contains("too many arguments to compound element 'C'");
  }

  @Test
  void parsingContinuesAfterAnErrorAtTheNextStatement() {
    ClickResult r = ClickParser.parse("a :: Counter -> ;\nb :: Counter;\nc :: ;\nd :: Discard;");
    assertThat(r.errors()).extracting(ClickError::line).containsExactly(1, 3);
    assertThat(r.config().element("d")).isPresent();
  }

  @Test
  void tooManyErrorsStops() {
    ClickResult r = ClickParser.parse("% ;\n".repeat(500));
    assertThat(r.errors()).hasSizeLessThanOrEqualTo(ClickParser.MAX_ERRORS + 1);
    assertThat(r.errors().get(r.errors().size() - 1).message()).contains("too many errors");
  }

  @Test
  void exponentialCompoundsHitTheElementLimit() {
    StringBuilder sb = new StringBuilder("elementclass C0 { input -> Counter -> output }\n");
    for (int i = 1; i < 12; i++) {
      sb.append("elementclass C").append(i).append(" { input -> C").append(i - 1).append(" -> C")
          .append(i - 1).append(" -> C").append(i - 1).append(" -> C").append(i - 1).append(" -> output }\n");
    }
    sb.append("InfiniteSource -> C11 -> Discard;");
    ClickResult r = ClickParser.parse(sb.toString());
    assertThat(r.errors()).extracting(ClickError::message)
        .contains("configuration too large (more than 50000 element instantiations)");
  }

  @Test
  void exponentialDefinesHitTheStringLimit() {
    StringBuilder sb = new StringBuilder("define($A0 xx");
    for (int i = 1; i < 40; i++) {
      sb.append(", $A").append(i).append(" $A").append(i - 1).append("$A").append(i - 1);
    }
    sb.append(");\nPrint($A39) -> Discard;");
    ClickResult r = ClickParser.parse(sb.toString());
    assertThat(r.errors()).extracting(ClickError::render)
        .containsExactly("config:1: define: value of $A18 too long (limit 262144 bytes)");
    // the same through compound formals
    StringBuilder c = new StringBuilder("elementclass C0 { $x | input -> Print($x) -> output }\n");
    for (int i = 1; i < 30; i++) {
      c.append("elementclass C").append(i).append(" { $x | input -> C").append(i - 1).append("($x$x) -> output }\n");
    }
    c.append("InfiniteSource -> C29(ab) -> Discard;");
    assertThat(ClickParser.parse(c.toString()).errors()).extracting(ClickError::message)
        .anyMatch(m -> m.startsWith("configuration string too long after $variable substitution"));
  }

  @Test
  void unparseOfTheFlatGraphParsesToTheSameGraph() {
    ClickConfig c = ok("""
        elementclass C { $x | input -> Paint($x) -> output }
        InfiniteSource -> C(3) -> t :: Tee -> Discard; t[1] -> Discard;
        """);
    ClickConfig again = ok(c.unparse());
    assertThat(again.elements()).isEqualTo(c.elements().stream()
        .map(e -> new ClickElement(e.name(), e.className(), e.config(),
            again.element(e.name()).orElseThrow().line(), false)).toList());
    assertThat(conns(again)).isEqualTo(conns(c));
  }
}
