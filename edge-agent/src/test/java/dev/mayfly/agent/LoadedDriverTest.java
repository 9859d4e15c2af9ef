package dev.mayfly.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.DriverContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadedDriverTest {
  final DriverContext ctx = new DriverContext("n1", Path.of("/tmp/x"), Map.of("guest-slots", "4"));
  final ClassLoader cl = getClass().getClassLoader();

  @Test
  void findsTheFactoryByNameThroughServiceLoader() {
    LoadedDriver d = LoadedDriver.load("test", ctx, cl);
    assertThat(d.available()).isTrue();
    assertThat(d.driver()).isInstanceOf(TestGuestDriver.class);
    assertThat(d.fingerprint().orElseThrow().capabilities()).containsExactly("checkpoint");
    assertThat(TestDriverFactory.lastContext.options()).containsEntry("guest-slots", "4");
    assertThat(d.pool()).isEmpty();
    assertThat(((TestGuestDriver) d.driver()).calls).containsExactly("recover");
    d.recoverOnce();
    assertThat(((TestGuestDriver) d.driver()).calls).containsExactly("recover");
  }

  @Test
  void missingDriverIsUnavailableWithTheReason() {
    LoadedDriver d = LoadedDriver.load("xen", ctx, cl);
    assertThat(d.available()).isFalse();
    assertThat(d.unavailableReason()).contains("'xen' is not installed").contains("test");
  }

  @Test
  void factoryFailureIsUnavailableWithItsMessage() {
    LoadedDriver d = LoadedDriver.load("broken", ctx, cl);
    assertThat(d.available()).isFalse();
    assertThat(d.unavailableReason()).contains("needs /dev/kvm");
  }
}
