package dev.mayfly.controller.southbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.Agent;
import dev.mayfly.agent.AgentConfig;
import dev.mayfly.agent.LoadedDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Spring wiring alone (no database, no web): beans, lifecycle, files, listener fan-out. */
class SouthboundConfigurationTest {
  @TempDir Path home;

  /** The listener bean needs the gateway, like the real node service: no construction cycle. */
  @Configuration(proxyBeanMethods = false)
  static class Listeners {
    @Bean
    RecordingListener recordingListener(AgentGateway gateway) {
      assertThat(gateway).isNotNull();
      return new RecordingListener();
    }
  }

  @Test
  void startsTheServerCreatesPkiAndTokenAndDeliversToListenerBeans() {
    new ApplicationContextRunner()
        .withUserConfiguration(SouthboundConfiguration.class, Listeners.class)
        .withPropertyValues("mayfly.home=" + home, "mayfly.southbound.port=0",
            "mayfly.southbound.bind-address=127.0.0.1",
            "mayfly.southbound.heartbeat-interval-ms=250",
            "mayfly.southbound.extra-sans=mayfly.test,10.9.8.7")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          SouthboundServer server = ctx.getBean(SouthboundServer.class);
          assertThat(ctx.getBean(AgentGateway.class)).isSameAs(server);
          assertThat(server.isRunning()).isTrue();
          assertThat(server.settings().heartbeatIntervalMs()).isEqualTo(250);
          for (String f : new String[] {"pki/ca.pem", "pki/ca.key", "pki/server.pem",
              "pki/server.key", "bootstrap-token"}) {
            assertThat(home.resolve(f)).exists();
          }
          assertThat(ctx.getBean(CertificateAuthority.class).serverCertificate()
              .getSubjectAlternativeNames()).extracting(l -> String.valueOf(l.get(1)))
              .contains("mayfly.test", "10.9.8.7");

          String token = Files.readString(home.resolve("bootstrap-token")).trim();
          AgentConfig cfg = AgentConfig.parse(new String[] {
              "--controller", "127.0.0.1:" + server.port(), "--node-name", "local",
              "--state-dir", home.resolve("agents/local").toString(),
              "--bootstrap-token-file", home.resolve("bootstrap-token").toString(),
              "--ca-cert", home.resolve("pki/ca.pem").toString()}, Map.of());
          assertThat(cfg.resolveBootstrapToken()).isEqualTo(token);
          try (Agent agent = new Agent(cfg,
              LoadedDriver.of(new RecordingGuestDriver(), Optional.empty()), line -> {})) {
            agent.start();
            assertThat(agent.awaitRegistrations(1, 10_000)).isTrue();
            RecordingListener l = ctx.getBean(RecordingListener.class);
            assertThat(RecordingListener.next(l.registered).node()).isEqualTo("local");
            assertThat(RecordingListener.next(l.heartbeats).node()).isEqualTo("local");
            assertThat(server.connectedNodes()).containsExactly("local");
          }
        });
  }

  @Test
  void canBeDisabled() {
    new ApplicationContextRunner()
        .withUserConfiguration(SouthboundConfiguration.class)
        .withPropertyValues("mayfly.home=" + home, "mayfly.southbound.enabled=false")
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(SouthboundServer.class);
          assertThat(home.resolve("pki")).doesNotExist();
        });
  }
}
