package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IPFilterSyntaxTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "tcp", "ip proto tcp", "ip proto 6", "src host 10.0.0.1", "dst host == 10.0.0.1",
      "src or dst host 10.0.0.1", "src and dst net 10.0.0.0/8", "net 192.168.0.0 mask 255.255.0.0",
      "dst net 10.0.0.0/8 and dst tcp port 80", "tcp dst port 80", "dst tcp port >= 1024 && dst tcp port <= 2048",
      "src port www or ssh", "tcp port 80 or 443", "udp port domain", "port > 1023",
      "(dst port www or dst port ssh) and tcp opt syn", "10.0.0.0/24 and syn", "10.0.0.0/24 and fin ack",
      "icmp type echo", "icmp type != 8", "icmp code 0", "tcp win > 100", "ip vers 4", "ip hl 5", "ip id 7",
      "ip tos 0", "ip dscp 46", "ip ttl < 2", "ip len > 1500", "ip frag", "ip unfrag", "unfrag",
      "ip ect", "ip ce", "ip[9] 6", "ip[12:4] == 167772161", "transp[0:2] & 0xFF00 == 0x1100",
      "tcp[13] & 2 != 0", "true", "false", "-", "any", "all", "not src host 10.0.0.1",
      "! tcp", "!(tcp or udp)", "tcp ? dst port 80 : icmp", "src tcp port & 10 == 8", "www",
      "src 10.0.0.1", "dst 10.0.0.0/8"})
  void validExpressions(String expr) {
    assertThat(IPFilterSyntax.checkExpression(expr)).as(expr).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "src host 10.0.0.300 | bad IP address '10.0.0.300'",
      "dst net 10.0.0.0/33 | bad network address '10.0.0.0/33' (expected ADDR/LEN)",
      "tcp port 70000 | bad port '70000'",
      "icmp port 80 | 'port' needs tcp or udp, not 'icmp'",
      "udp opt syn | 'opt' needs tcp, not 'udp'",
      "type 8 | 'type' needs icmp ('icmp type N')",
      "ip proto bogus | bad protocol 'bogus'",
      "tcp opt bogus | unknown TCP option 'bogus'",
      "src host > 10.0.0.1 | 'host' does not take '>' (only == and !=)",
      "tcp and | expected a pattern at end of expression",
      "(tcp or udp | missing ')'",
      "tcp ? udp | missing ':' in '?:' expression",
      "frobnicate | unknown word 'frobnicate'",
      "src | expected host, net or port after 'src' at end of pattern",
      "ip dscp 64 | bad value '64' for 'ip dscp' (0-63)",
      "ip[1:5] 0 | bad offset or length in 'ip[1:5]' (length must be 1-4)",
      "foo[1] 0 | unknown offset base in 'foo[1]'",
      "tcp ) | unexpected ')'",
      "src ttl 4 | 'src' cannot qualify 'ttl'",
      "80 | unknown word '80'",
      "tcp host 10.0.0.1 | 'tcp host': 'host' is an IP header field"})
  void invalidExpressions(String expr, String message) {
    assertThat(IPFilterSyntax.checkExpression(expr.strip())).isEqualTo(message.strip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "(((((", "!!!!", "? :", "&& ||", "ip[", "]]]", "tcp[99999999999999]"})
  void garbageGivesAMessageNotAnException(String expr) {
    assertThat(IPFilterSyntax.checkExpression(expr)).isNotNull();
  }

  @org.junit.jupiter.api.Test
  void deepNestingIsRefused() {
    assertThat(IPFilterSyntax.checkExpression("(".repeat(5000) + "tcp" + ")".repeat(5000)))
        .isEqualTo("expression nested too deeply");
    assertThat(IPFilterSyntax.checkExpression("not ".repeat(5000) + "tcp"))
        .isEqualTo("expression nested too deeply");
  }

  @org.junit.jupiter.api.Test
  void ipFilterActionsAndOutputs() {
    IPFilterSyntax.Result r = IPFilterSyntax.checkIPFilter("allow tcp, drop udp, 3 icmp, deny all,");
    assertThat(r.errors()).isEmpty();
    assertThat(r.requiredOutputs()).isEqualTo(4);
    assertThat(IPFilterSyntax.checkIPFilter("deny all").requiredOutputs()).isZero();
    assertThat(IPFilterSyntax.checkIPFilter("allow").errors()).isEmpty(); // empty pattern = true
    assertThat(IPFilterSyntax.checkIPClassifier("tcp, udp, -").requiredOutputs()).isEqualTo(3);
    assertThat(IPFilterSyntax.checkIPClassifier("tcp, , -").errors()).containsExactly("pattern 1: empty pattern");
  }
}
