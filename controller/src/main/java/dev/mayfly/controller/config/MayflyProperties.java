package dev.mayfly.controller.config;

import dev.mayfly.controller.placement.Strategy;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The controller's own settings (prefix {@code mayfly}); {@code mayfly.southbound.*}
 * belongs to the southbound server and is bound there.
 */
@ConfigurationProperties("mayfly")
public record MayflyProperties(
    Path home,
    @DefaultValue Admin admin,
    @DefaultValue Db db,
    @DefaultValue Placement placement,
    @DefaultValue Reconcile reconcile,
    @DefaultValue Nodes nodes,
    @DefaultValue Api api) {

  /** {@code mayfly.admin.password}: the password of user admin; generated when empty. */
  public record Admin(String password) {}

  /** External database when {@code url} is set, otherwise embedded PostgreSQL on {@code port} (0 = free port). */
  public record Db(String url, String user, String password, @DefaultValue("0") int port) {}

  public record Placement(@DefaultValue("SPREAD") Strategy ranker) {}

  /**
   * {@code mayfly.reconcile.*}. {@code resendAfter}: an unanswered command is sent again after
   * this long; {@code resendAfterLive}: the same for a command sent over the node's current
   * connection (TCP delivered it; the agent is busy, and a resend only adds to its queue).
   */
  public record Reconcile(
      @DefaultValue("2s") Duration interval,
      @DefaultValue("10s") Duration resendAfter,
      @DefaultValue("3") int maxRestarts,
      @DefaultValue("2m") Duration resendAfterLive) {}

  public record Nodes(
      @DefaultValue("10s") Duration heartbeatTimeout,
      @DefaultValue("2s") Duration livenessCheckInterval) {}

  public record Api(@DefaultValue("1048576") long maxBodyBytes) {}
}
