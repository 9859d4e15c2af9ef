package dev.mayfly.controller.southbound;

import java.nio.file.Path;
import java.util.List;

/**
 * Configuration of the southbound server (plain values, so tests build it without Spring).
 *
 * @param bindAddress address to listen on ({@code mayfly.southbound.bind-address}, default 0.0.0.0)
 * @param port TCP port ({@code mayfly.southbound.port}, default 7443; 0 = ephemeral)
 * @param home controller state directory ({@code mayfly.home}); PKI lives in {@code home/pki}
 * @param bootstrapToken configured enrollment token, or null to generate/read {@code home/bootstrap-token}
 * @param heartbeatIntervalMs interval told to agents in RegisterAck; a connection idle for
 *     3 intervals is closed
 * @param extraSans additional DNS names / IP literals for the server certificate
 * @param maxFrameBytes largest accepted frame (default 4 MiB)
 */
public record SouthboundSettings(
    String bindAddress,
    int port,
    Path home,
    String bootstrapToken,
    int heartbeatIntervalMs,
    List<String> extraSans,
    int maxFrameBytes) {

  public static final int DEFAULT_PORT = 7443;
  public static final int DEFAULT_HEARTBEAT_MS = 2000;
  public static final int DEFAULT_MAX_FRAME = 4 << 20;

  public SouthboundSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("mayfly.southbound.port: " + port + " is not in 0..65535");
    }
    if (heartbeatIntervalMs < 10) {
      throw new IllegalArgumentException(
          "mayfly.southbound.heartbeat-interval-ms: " + heartbeatIntervalMs + " is below 10");
    }
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("mayfly.southbound.max-frame-bytes: must be >= 1024");
    }
    extraSans = extraSans == null ? List.of() : List.copyOf(extraSans);
    if (bootstrapToken != null && bootstrapToken.isBlank()) {
      bootstrapToken = null;
    }
  }

  public Path pkiDir() {
    return home.resolve("pki");
  }

  public Path bootstrapTokenFile() {
    return home.resolve("bootstrap-token");
  }

  /** Reader-idle limit: three missed heartbeats. */
  public long idleTimeoutMs() {
    return 3L * heartbeatIntervalMs;
  }
}
