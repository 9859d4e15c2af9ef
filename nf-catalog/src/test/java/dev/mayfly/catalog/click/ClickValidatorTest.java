package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClickValidatorTest {

  private static final ClickValidator V = ClickValidator.standard();

  private static List<String> errors(String text) {
    return V.check(text).errors().stream().map(ClickError::render).toList();
  }

  private static void valid(String text) {
    assertThat(errors(text)).as("errors for:\n%s", text).isEmpty();
  }

  @Test
  void acceptsTypicalConfigurations() {
    valid("FromDevice(eth0) -> Queue -> ToDevice(eth1);");
    valid("FromDevice(eth0) -> ToDevice(eth1);"); // ToDevice is agnostic
    valid("InfiniteSource(LIMIT 10) -> c :: Counter -> Discard; DriverManager(stop);");
    valid("""
        src :: RatedSource(RATE 10, LIMIT 20);
        src -> q :: Queue(100) -> u :: Unqueue -> cl :: Classifier(12/0800, -);
        cl[0] -> Strip(14) -> CheckIPHeader -> f :: IPFilter(allow tcp dst port 80, deny all) -> Discard;
        cl[1] -> Discard;
        """);
    valid("""
        q :: Queue; InfiniteSource -> q;
        q -> Counter -> Print(x) -> Unqueue -> Discard; // agnostic elements in a pull path
        """);
    valid("InfiniteSource -> ic :: IPClassifier(tcp, udp, -); ic[0] -> Discard; ic[1] -> Discard; ic[2] -> Discard;");
    valid("InfiniteSource -> t :: Tee(3); t[0] -> Discard; t[1] -> Discard; t[2] -> Discard;");
    valid("InfiniteSource -> fw :: FlowFirewall(TIMEOUT 60, CAPACITY 100); InfiniteSource -> [1]fw;"
        + " fw[0] -> Discard; fw[1] -> Discard;");
    valid("Idle -> Discard; Idle;");
    valid("elementclass C { input -> Counter -> output } FromDevice(a) -> C -> ToDevice(b);");
  }

  @Test
  void unknownElementClass() {
    assertThat(errors("InfiniteSource -> Foo -> Discard;"))
        .containsExactly("config:1: unknown element class 'Foo'");
    assertThat(errors("src :: InfiniteSource;\nsrc -> dicard;")).containsExactly("config:2: unknown element class 'dicard'");
  }

  @Test
  void duplicateNamesAfterFlattening() {
    assertThat(errors("""
        elementclass C { input -> x :: Counter -> output }
        c :: C;
        c/x :: Counter;
        InfiniteSource -> c -> c/x -> Discard;
        """)).containsExactly("config:3: duplicate element name 'c/x' (first declared on line 1)");
  }

  @Test
  void portOutOfRange() {
    assertThat(errors("InfiniteSource -> c :: Counter;\nc[1] -> Discard; c -> Discard;"))
        .containsExactly("config:2: 'c :: Counter' has no output 1");
    assertThat(errors("InfiniteSource -> [1]d :: Discard;"))
        .containsExactly("config:1: 'd :: Discard' has no input 1");
    assertThat(errors("InfiniteSource -> s :: InfiniteSource -> Discard;"))
        .containsExactly("config:1: 's :: InfiniteSource' has no inputs");
    assertThat(errors("InfiniteSource -> d :: Discard -> Discard;"))
        .containsExactly("config:1: 'd :: Discard' has no outputs");
  }

  @Test
  void unconnectedPorts() {
    assertThat(errors("c :: Counter;\nInfiniteSource -> c;"))
        .containsExactly("config:1: 'c :: Counter' output 0 unused");
    assertThat(errors("InfiniteSource -> t :: PaintTee(1) -> Discard;"))
        .containsExactly("config:1: 't :: PaintTee' output 1 unused");
    assertThat(errors("q :: Queue -> Discard;"))
        .containsExactly("config:1: 'q :: Queue' input 0 unused");
    assertThat(errors("fw :: FlowFirewall; InfiniteSource -> fw -> Discard;"))
        .containsExactly("config:1: 'fw :: FlowFirewall' input 1 unused", "config:1: 'fw :: FlowFirewall' output 1 unused");
  }

  @Test
  void pushPullMismatch() {
    assertThat(errors("q :: Queue;\nInfiniteSource -> q;\nq -> t :: Tee -> Discard;"))
        .containsExactly("config:3: 'q :: Queue' pull output 0 connected to 't :: Tee' push input 0");
    assertThat(errors("FromDevice(a) -> u :: Unqueue -> Discard;"))
        .containsExactly("config:1: 'FromDevice@1 :: FromDevice' push output 0 connected to 'u :: Unqueue' pull input 0");
  }

  @Test
  void connectedMoreThanOnce() {
    assertThat(errors("s :: InfiniteSource; s -> Discard; s -> Discard;"))
        .containsExactly("config:1: 's :: InfiniteSource' push output 0 connected more than once");
    assertThat(errors("q :: Queue; InfiniteSource -> q; u :: Unqueue -> Discard; q -> u; q -> u;"))
        .containsExactly("config:1: 'u :: Unqueue' pull input 0 connected more than once");
    // several pushes into one push input are fine
    valid("a :: InfiniteSource; b :: InfiniteSource; d :: Discard; a -> d; b -> d;");
  }

  @Test
  void ipFilterExpressionsAreChecked() {
    assertThat(errors("InfiniteSource -> f :: IPFilter(allow tcp, allow src host 10.0.0.300, deny all) -> Discard;"))
        .containsExactly("config:1: While configuring 'f :: IPFilter': pattern 1: bad IP address '10.0.0.300'");
    assertThat(errors("InfiniteSource\n -> f :: IPFilter(permit all) -> Discard;"))
        .containsExactly("config:2: While configuring 'f :: IPFilter': pattern 0: unknown action 'permit' "
            + "(expected allow, deny, drop or an output number)");
    assertThat(errors("InfiniteSource -> IPClassifier(tcp port 80 or, -) -> Discard;"))
        .hasSize(1).allMatch(e -> e.contains("pattern 0: expected a pattern at end of expression"));
  }

  @Test
  void classifierOutputsFollowTheirPatterns() {
    // IPFilter action 1 needs output 1
    assertThat(errors("InfiniteSource -> f :: IPFilter(allow tcp, 1 udp) -> Discard;"))
        .containsExactly("config:1: 'f :: IPFilter' output 1 unused");
    // IPClassifier has exactly one output per pattern
    assertThat(errors("InfiniteSource -> c :: IPClassifier(tcp, -);\nc[0] -> Discard; c[1] -> Discard; c[2] -> Discard;"))
        .containsExactly("config:2: 'c :: IPClassifier' has no output 2");
    assertThat(errors("InfiniteSource -> c :: Classifier(12/0800, 12/0806, -) -> Discard;"))
        .containsExactly("config:1: 'c :: Classifier' output 1 unused", "config:1: 'c :: Classifier' output 2 unused");
    assertThat(errors("InfiniteSource -> c :: Classifier(12/08zz) -> Discard;"))
        .containsExactly("config:1: While configuring 'c :: Classifier': pattern 0: bad clause '12/08zz' "
            + "(expected OFFSET/HEXVALUE[%HEXMASK])");
  }

  @Test
  void mandatoryAndNumericArguments() {
    assertThat(errors("FromDevice -> Discard;"))
        .containsExactly("config:1: While configuring 'FromDevice@1 :: FromDevice': missing mandatory DEVNAME argument");
    assertThat(errors("InfiniteSource -> Queue(lots) -> Unqueue -> Discard;"))
        .containsExactly("config:1: While configuring 'Queue@2 :: Queue': CAPACITY: expected unsigned integer");
    assertThat(errors("InfiniteSource -> SetIPDSCP(64) -> Discard;"))
        .containsExactly("config:1: While configuring 'SetIPDSCP@2 :: SetIPDSCP': DSCP: must be between 0 and 63");
    assertThat(errors("InfiniteSource(LIMIT ;5) -> Discard;"))
        .containsExactly("config:1: While configuring 'InfiniteSource@1 :: InfiniteSource': LIMIT: expected integer");
    assertThat(errors("InfiniteSource -> CheckIPHeader(Discard14) -> Discard;"))
        .containsExactly("config:1: While configuring 'CheckIPHeader@2 :: CheckIPHeader': OFFSET: expected unsigned integer");
    assertThat(errors("a :: InfiniteSource -> fw :: FlowFirewall(CAPACITY 0) -> Discard;"
        + " InfiniteSource -> [1]fw[1] -> Discard;")).containsExactly(
        "config:1: While configuring 'fw :: FlowFirewall': CAPACITY: must be > 0");
    assertThat(errors("a :: InfiniteSource -> fw :: FlowFirewall(CAPACITY -1, TIMEOUT x) -> Discard;"
        + " InfiniteSource -> [1]fw[1] -> Discard;")).containsExactly(
        "config:1: While configuring 'fw :: FlowFirewall': CAPACITY: expected unsigned integer",
        "config:1: While configuring 'fw :: FlowFirewall': TIMEOUT: expected time in seconds");
    assertThat(errors("InfiniteSource -> EtherEncap(0x0800, 1:2:3:4:5:6, zz) -> Discard;")).containsExactly(
        "config:1: While configuring 'EtherEncap@2 :: EtherEncap': DST: expected Ethernet address");
    // keyword and positional forms, octal and hex numbers, as the runtime's reader
    valid("InfiniteSource(DATA \\<00>, LIMIT 0x10, BURST 010, STOP true) -> Queue(CAPACITY 5) -> Unqueue -> Discard;");
    valid("InfiniteSource -> f :: FlowFirewall(TIMEOUT 2min, UDP_TIMEOUT 30 s, ICMP_TIMEOUT 500ms); "
        + "InfiniteSource -> [1]f[1] -> Discard; f -> Discard;");
  }

  @Test
  void parseErrorsAreReturnedWithoutValidation() {
    ClickResult r = V.check("a :: ;\nFoo -> Bar;");
    assertThat(r.errors()).extracting(ClickError::line).containsExactly(1);
  }

  @Test
  void validateHandBuiltConfigs() {
    ClickConfig c = new ClickConfig(List.of(new ClickElement("a", "InfiniteSource", "", 1, false)),
        List.of(new ClickConnection("a", 0, "ghost", 0, 2)), List.of());
    assertThat(V.validate(c)).extracting(ClickError::render)
        .contains("config:2: connection to undeclared element 'ghost'");
  }

  @Test
  void portCountSyntax() {
    assertThat(PortCount.parse("1/1")).isEqualTo(new PortCount(1, 1, 1, 1, false));
    assertThat(PortCount.parse("1-/2-3")).isEqualTo(new PortCount(1, PortCount.UNBOUNDED, 2, 3, false));
    assertThat(PortCount.parse("-/=").outputsEqualInputs()).isTrue();
    assertThat(PortCount.parse("-2/-")).isEqualTo(new PortCount(0, 2, 0, PortCount.UNBOUNDED, false));
    assertThat(PortCount.parse("2")).isEqualTo(new PortCount(2, 2, 2, 2, false));
    assertThat(PortCount.parse("0/1-2")).hasToString("0/1-2");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PortCount.parse("x/1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Processing.of("a/ah", false, 0)).isEqualTo(Processing.AGNOSTIC);
    assertThat(Processing.of("a/ah", false, 5)).isEqualTo(Processing.PUSH);
    assertThat(Processing.of("h/l", true, 3)).isEqualTo(Processing.PUSH);
  }

  @Test
  void everyRequiredElementClassIsInTheTable() {
    assertThat(ElementTable.standard().all().keySet()).contains("FromDevice", "ToDevice", "Queue",
        "SimpleQueue", "Unqueue", "RatedUnqueue", "Discard", "Idle", "InfiniteSource", "RatedSource",
        "TimedSource", "FromDump", "ToDump", "FromIPSummaryDump", "ToIPSummaryDump", "Print", "IPPrint",
        "Counter", "Tee", "Paint", "PaintSwitch", "PaintTee", "Strip", "Unstrip", "Truncate", "EtherEncap",
        "EtherMirror", "CheckIPHeader", "MarkIPHeader", "SetIPDSCP", "DecIPTTL", "Classifier",
        "IPClassifier", "IPFilter", "RoundRobinSwitch", "HashSwitch", "RatedSplitter",
        "BandwidthRatedSplitter", "ARPResponder", "ARPQuerier", "IPRewriter", "IPRewriterPatterns",
        "DriverManager", "FlowFirewall");
  }
}
