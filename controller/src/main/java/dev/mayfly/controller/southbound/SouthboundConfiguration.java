package dev.mayfly.controller.southbound;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Spring wiring of the southbound server.
 *
 * <table>
 * <tr><td>mayfly.southbound.enabled</td><td>true</td></tr>
 * <tr><td>mayfly.southbound.bind-address</td><td>0.0.0.0</td></tr>
 * <tr><td>mayfly.southbound.port</td><td>7443 (0 = ephemeral, e.g. in tests)</td></tr>
 * <tr><td>mayfly.southbound.bootstrap-token</td><td>env MAYFLY_BOOTSTRAP_TOKEN, else
 *     generated into ${mayfly.home}/bootstrap-token</td></tr>
 * <tr><td>mayfly.southbound.heartbeat-interval-ms</td><td>2000</td></tr>
 * <tr><td>mayfly.southbound.extra-sans</td><td>comma list of DNS names / IPs</td></tr>
 * <tr><td>mayfly.southbound.max-frame-bytes</td><td>4194304</td></tr>
 * <tr><td>mayfly.home</td><td>env MAYFLY_HOME, else ~/.local/share/mayfly</td></tr>
 * </table>
 *
 * <p>The {@link SouthboundListener} beans (node / instance services) are looked up when
 * the first message arrives, not at construction, so they may depend on {@link AgentGateway}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "mayfly.southbound", name = "enabled", havingValue = "true",
    matchIfMissing = true)
public class SouthboundConfiguration {

  @Bean
  public SouthboundSettings southboundSettings(Environment env) {
    String token = env.getProperty("mayfly.southbound.bootstrap-token");
    if (token == null || token.isBlank()) {
      token = env.getProperty("MAYFLY_BOOTSTRAP_TOKEN");
    }
    String sans = env.getProperty("mayfly.southbound.extra-sans", "");
    List<String> extra = Arrays.stream(sans.split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    return new SouthboundSettings(
        env.getProperty("mayfly.southbound.bind-address", "0.0.0.0"),
        env.getProperty("mayfly.southbound.port", Integer.class, SouthboundSettings.DEFAULT_PORT),
        mayflyHome(env),
        token,
        env.getProperty("mayfly.southbound.heartbeat-interval-ms", Integer.class,
            SouthboundSettings.DEFAULT_HEARTBEAT_MS),
        extra,
        env.getProperty("mayfly.southbound.max-frame-bytes", Integer.class,
            SouthboundSettings.DEFAULT_MAX_FRAME));
  }

  @Bean
  public CertificateAuthority southboundCertificateAuthority(SouthboundSettings settings)
      throws IOException {
    return CertificateAuthority.loadOrCreate(settings.pkiDir(), settings.extraSans());
  }

  @Bean
  public BootstrapToken southboundBootstrapToken(SouthboundSettings settings) throws IOException {
    return BootstrapToken.loadOrCreate(settings.bootstrapToken(), settings.bootstrapTokenFile());
  }

  @Bean
  public SouthboundServer southboundServer(
      SouthboundSettings settings, CertificateAuthority ca, BootstrapToken token,
      ObjectProvider<SouthboundListener> listeners) {
    return new SouthboundServer(settings, ca, token,
        new FanOutListener(() -> listeners.orderedStream().toList()));
  }

  static Path mayflyHome(Environment env) {
    String home = env.getProperty("mayfly.home");
    if (home == null || home.isBlank()) {
      home = env.getProperty("MAYFLY_HOME");
    }
    if (home == null || home.isBlank()) {
      return Path.of(System.getProperty("user.home"), ".local", "share", "mayfly");
    }
    return Path.of(home);
  }
}
