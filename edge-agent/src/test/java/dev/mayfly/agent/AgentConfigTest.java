package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path tmp;

  @Test
  void flagsWinOverEnvironment() {
    AgentConfig c = AgentConfig.parse(new String[] {"--controller", "10.0.0.1:9000",
        "--node-name=edge-a", "--labels", "zone=a, tier=edge", "--guest-slots", "8",
        "--destroy-guests-on-exit"},
        Map.of("MAYFLY_CONTROLLER", "1.1.1.1:1", "MAYFLY_DRIVER", "other", "MAYFLY_HOME", "/h"));
    assertThat(c.controllerHost()).isEqualTo("10.0.0.1");
    assertThat(c.controllerPort()).isEqualTo(9000);
    assertThat(c.nodeName()).isEqualTo("edge-a");
    assertThat(c.driver()).isEqualTo("other");
    assertThat(c.labels()).containsEntry("zone", "a").containsEntry("tier", "edge");
    assertThat(c.guestSlots()).isEqualTo(8);
    assertThat(c.destroyGuestsOnExit()).isTrue();
    assertThat(c.stateDir()).isEqualTo(Path.of("/h/agents/edge-a"));
  }

  @Test
  void defaults() {
    AgentConfig c = AgentConfig.parse(new String[] {"--node-name", "n1"}, Map.of());
    assertThat(c.controllerHost()).isEqualTo("127.0.0.1");
    assertThat(c.controllerPort()).isEqualTo(7443);
    assertThat(c.driver()).isEqualTo("sandbox");
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/mayfly-agent"));
    assertThat(c.guestSlots()).isEqualTo(AgentConfig.DEFAULT_GUEST_SLOTS);
    assertThat(c.destroyGuestsOnExit()).isFalse();
    assertThat(c.maxBackoffMs()).isEqualTo(10_000);
  }

  @Test
  void ipv6Controller() {
    AgentConfig c = AgentConfig.parse(new String[] {"--controller", "[::1]:7443", "--node-name", "n"},
        Map.of());
    assertThat(c.controllerHost()).isEqualTo("::1");
  }

  @Test
  void badInputNamesTheFlag() {
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--node-name", "Edge_A"}, Map.of()))
        .hasMessageContaining("--node-name");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--controller", "nohost"}, Map.of()))
        .hasMessageContaining("--controller");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--controller", "h:99999",
        "--node-name", "n"}, Map.of())).hasMessageContaining("--controller");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--guest-slots", "many",
        "--node-name", "n"}, Map.of())).hasMessageContaining("--guest-slots");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--labels", "zone", "--node-name", "n"},
        Map.of())).hasMessageContaining("--labels");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--frobnicate"}, Map.of()))
        .hasMessageContaining("--frobnicate");
    assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--node-name"}, Map.of()))
        .hasMessageContaining("missing value");
  }

  @Test
  void hostNamesAreSanitised() {
    assertThat(AgentConfig.sanitise("My_Host.example.org")).isEqualTo("my-host");
    assertThat(AgentConfig.sanitise("x".repeat(80))).hasSize(63);
    assertThat(AgentConfig.NODE_NAME.matcher(AgentConfig.defaultNodeName()).matches()).isTrue();
  }

  @Test
  void tokenFromFile() throws Exception {
    Path f = tmp.resolve("token");
    Files.writeString(f, "abc123\n");
    AgentConfig c = AgentConfig.parse(new String[] {"--node-name", "n",
        "--bootstrap-token-file", f.toString()}, Map.of());
    assertThat(c.resolveBootstrapToken()).isEqualTo("abc123");
    AgentConfig missing = AgentConfig.parse(new String[] {"--node-name", "n",
        "--bootstrap-token-file", tmp.resolve("nope").toString()}, Map.of());
    assertThatThrownBy(missing::resolveBootstrapToken).hasMessageContaining("--bootstrap-token-file");
    AgentConfig env = AgentConfig.parse(new String[] {"--node-name", "n"},
        Map.of("MAYFLY_BOOTSTRAP_TOKEN", "from-env"));
    assertThat(env.resolveBootstrapToken()).isEqualTo("from-env");
  }
}
