package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configurations under src/test/resources/click: every {@code valid/*.click} validates; every
 * {@code invalid/*.click} gives exactly the errors its {@code // expect:} lines list.
 */
class ClickResourceTest {

  static Stream<Path> files(String dir) throws IOException, URISyntaxException {
    Path d = Path.of(ClickResourceTest.class.getResource("/click/" + dir).toURI());
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.toString().endsWith(".click")).sorted().toList().stream();
    }
  }

  static Stream<Path> valid() throws IOException, URISyntaxException {
    return files("valid");
  }

  static Stream<Path> invalid() throws IOException, URISyntaxException {
    return files("invalid");
  }

  @ParameterizedTest
  @MethodSource("valid")
  void validConfigurations(Path file) throws IOException {
    ClickResult r = ClickValidator.standard().check(Files.readString(file));
    assertThat(r.errors()).as(file.getFileName().toString()).isEmpty();
    assertThat(r.config().elements()).isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void invalidConfigurations(Path file) throws IOException {
    String text = Files.readString(file);
    List<String> expected = text.lines().filter(l -> l.startsWith("// expect: "))
        .map(l -> l.substring("// expect: ".length())).toList();
    assertThat(expected).as("%s has // expect: lines", file).isNotEmpty();
    assertThat(ClickValidator.standard().check(text).errors()).extracting(ClickError::render)
        .as(file.getFileName().toString()).containsExactlyElementsOf(expected);
  }
}
