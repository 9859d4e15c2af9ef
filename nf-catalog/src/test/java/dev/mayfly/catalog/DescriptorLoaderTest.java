package dev.mayfly.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DescriptorLoaderTest {

  private static final String GOOD = """
      name: fw
      version: "2"
      ports:
        - name: access
        - name: core
      resources:
        memoryMiB: 16
      clickConfig: |
        FromDevice(access) -> ToDevice(core);
      """;

  @Test
  void loadsAValidDescriptorWithDefaults() {
    NfDescriptor d = DescriptorLoader.load(GOOD, "good.yaml");
    assertThat(d.name()).isEqualTo("fw");
    assertThat(d.version()).isEqualTo("2");
    assertThat(d.ports()).extracting(NfDescriptor.Port::name).containsExactly("access", "core");
    assertThat(d.resources().memoryMiB()).isEqualTo(16);
    assertThat(d.resources().memoryBytes()).isEqualTo(16L << 20);
    assertThat(d.resources().cpuWeight()).isEqualTo(NfDescriptor.Resources.DEFAULT_CPU_WEIGHT);
    assertThat(d.resources().pidsMax()).isEqualTo(NfDescriptor.Resources.DEFAULT_PIDS_MAX);
    assertThat(d.clickConfig()).contains("FromDevice(access)");
    assertThat(d.hasPort("core")).isTrue();
    assertThat(d.hasPort("nope")).isFalse();
  }

  @Test
  void jsonIsAcceptedToo() {
    NfDescriptor d = DescriptorLoader.load(
        "{\"name\":\"j\",\"version\":\"1\",\"resources\":{\"memoryMiB\":1},\"clickConfig\":\"Idle;\"}", "j.json");
    assertThat(d.name()).isEqualTo("j");
    assertThat(d.ports()).isEmpty();
  }

  @Test
  void unknownKeyAndWrongTypeNameFieldAndLine() {
    String bad = """
        name: fw
        version: 1
        colour: red
        resources:
          memoryMiB: lots
        clickConfig: x
        """;
    assertThatThrownBy(() -> DescriptorLoader.load(bad, "bad.yaml"))
        .isInstanceOfSatisfying(DescriptorException.class, e -> {
          assertThat(e.issues()).extracting(DescriptorIssue::field)
              .containsExactlyInAnyOrder("colour", "resources.memoryMiB");
          assertThat(e.issues()).extracting(DescriptorIssue::line).containsExactlyInAnyOrder(3, 5);
          assertThat(e.getMessage()).startsWith("bad.yaml: line ");
        });
  }

  @Test
  void syntaxErrorNamesLine() {
    assertThatThrownBy(() -> DescriptorLoader.load("name: a\nports: [\n  - x: {\n", "s.yaml"))
        .isInstanceOfSatisfying(DescriptorException.class,
            e -> assertThat(e.issues().get(0).line()).isGreaterThan(0));
  }

  @Test
  void emptyAndNonMappingDocumentsAreRejected() {
    assertThatThrownBy(() -> DescriptorLoader.load("  ", "e.yaml")).isInstanceOf(DescriptorException.class);
    assertThatThrownBy(() -> DescriptorLoader.load("- a\n- b\n", "l.yaml"))
        .isInstanceOfSatisfying(DescriptorException.class,
            e -> assertThat(e.issues().get(0).message()).contains("mapping"));
  }

  @Test
  void aliasBombIsRefused() {
    StringBuilder sb = new StringBuilder("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (int i = 0; i < 12; i++) {
      sb.append("b").append(i).append(": &b").append(i).append(" [*a,*a,*a]\n");
    }
    assertThatThrownBy(() -> DescriptorLoader.load(sb.toString(), "bomb.yaml"))
        .isInstanceOf(DescriptorException.class);
  }

  @Test
  void validatorReportsEverySemanticProblem() {
    NfDescriptor d = new NfDescriptor("Bad_Name", "", null, null,
        List.of(new NfDescriptor.Port("access", null), new NfDescriptor.Port("access", null),
            new NfDescriptor.Port("9x", null)),
        new NfDescriptor.Resources(0, 100, 99999), " ");
    assertThat(DescriptorValidator.validate(d)).extracting(DescriptorIssue::field).containsExactlyInAnyOrder(
        "name", "version", "ports[1].name", "ports[2].name", "resources.memoryMiB", "resources.pidsMax",
        "clickConfig");
  }

  @Test
  void missingResourcesIsRequired() {
    NfDescriptor d = new NfDescriptor("a", "1", null, null, null, null, "Idle;");
    assertThat(DescriptorValidator.validate(d)).extracting(DescriptorIssue::field).containsExactly("resources");
  }

  @Test
  void clickConfigIsCheckedWithLineNumbers() {
    NfDescriptor d = new NfDescriptor("a", "1", null, null, null, new NfDescriptor.Resources(1, 100, 16),
        "Idle;\nFromDevice(in) -> Frobnicate -> Discard;\n");
    assertThat(DescriptorValidator.validate(d)).singleElement().satisfies(i -> {
      assertThat(i.field()).isEqualTo("clickConfig");
      assertThat(i.message()).startsWith("config:2: ").contains("Frobnicate");
    });
  }

  @Test
  void shippedDescriptorsAreValid() {
    List<NfDescriptor> shipped = ShippedDescriptors.load();
    assertThat(shipped).extracting(NfDescriptor::name).contains("passthrough", "counter");
    for (NfDescriptor d : shipped) {
      assertThat(DescriptorValidator.validate(d)).as(d.name()).isEmpty();
    }
  }
}
