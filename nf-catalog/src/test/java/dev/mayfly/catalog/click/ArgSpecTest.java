package dev.mayfly.catalog.click;

import static dev.mayfly.catalog.click.ArgSpec.keyword;
import static dev.mayfly.catalog.click.ArgSpec.mandatory;
import static dev.mayfly.catalog.click.ArgSpec.positional;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.catalog.click.ArgSpec.Type;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ArgSpecTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "UINT | 0 | true", "UINT | 4294967295 | true", "UINT | 4294967296 | false", "UINT | -1 | false",
      "UINT | 0x1F | true", "UINT | 010 | true", "UINT | 08 | false", "UINT | +1 | false", "UINT | 1.5 | false",
      "INT | -2147483648 | true", "INT | 2147483648 | false", "INT | -0x10 | true", "INT | ;5 | false",
      "BOOL | true | true", "BOOL | y | true", "BOOL | 0 | true", "BOOL | TRUE | false",
      "WORD | eth0 | true", "WORD | \"a b\" | false",
      "IP | 10.0.0.1 | true", "IP | 010.0.0.1 | true", "IP | 10.0.0.256 | false", "IP | 10.0.0 | false",
      "ETH | 0:1:2:3:4:5 | true", "ETH | 00-1b-21-3c-4d-5e | true", "ETH | 00:1b:21:3c:4d | false",
      "DOUBLE | 1.5e3 | true", "DOUBLE | .5 | true", "DOUBLE | 1 5 | false", "DOUBLE | nan | false",
      "TIME | 30 | true", "TIME | 30s | true", "TIME | 1.5 ms | true", "TIME | 2min | true", "TIME | 1e30 | false",
      "TIME | -1 | false", "TIME | 3 days | false",
      "BANDWIDTH | 1000 | true", "BANDWIDTH | 10Mbps | true", "BANDWIDTH | 1 GBps | true", "BANDWIDTH | 5 mph | false"})
  void typesParseAsInTheRuntime(String type, String value, boolean ok) {
    assertThat(ArgSpec.valid(Type.valueOf(type), value)).as("%s %s", type, value).isEqualTo(ok);
  }

  @Test
  void positionalThenKeywordArguments() {
    List<ArgSpec> specs = List.of(mandatory("FILENAME", Type.STR), positional("SNAPLEN", Type.UINT),
        keyword("STOP", Type.BOOL));
    assertThat(ArgSpec.read(specs, List.of("f.pcap", "100", "STOP true"))).isEmpty();
    assertThat(ArgSpec.read(specs, List.of("FILENAME f.pcap", "STOP yes"))).isEmpty();
    assertThat(ArgSpec.read(specs, List.of("STOP maybe"))).containsExactly("STOP: expected boolean",
        "missing mandatory FILENAME argument");
    assertThat(ArgSpec.read(specs, List.of("f", "x"))).containsExactly("SNAPLEN: expected unsigned integer");
    // left to the runtime: unknown keywords and surplus arguments
    assertThat(ArgSpec.read(specs, List.of("f", "1", "NEWER 3", "extra"))).isEmpty();
    assertThat(ArgSpec.keywordLength("LIMIT 5")).isEqualTo(5);
    assertThat(ArgSpec.keywordLength("LIMIT")).isEqualTo(5);
    assertThat(ArgSpec.keywordLength("Limit 5")).isZero();
    assertThat(ArgSpec.keywordLength("LIMIT=5")).isZero();
  }
}
