package dev.mayfly.controller.firewall;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code mayfly.firewall.*}: personal-firewall provisioning.
 *
 * @param failOpen without a policy, pass the subscriber's traffic (true) or block it (false,
 *     the default: no guest, the attachment is connected to nothing)
 * @param coreBridge the bridge on an edge node the guests' {@code core} ports join
 * @param coreBridgeLabel a node label that overrides {@code coreBridge} for that node
 * @param memoryMib guest memory limit (16 MiB with the other two = the agent's pooled
 *     firewall shell class)
 * @param cpuWeight guest CPU weight
 * @param pidsMax guest pids limit
 * @param interval how often unanswered commands are looked at
 * @param resendAfter resend an unanswered command after this long
 * @param resendAfterLive the same for a create sent over the node's current connection (TCP
 *     delivered it; an unanswered one means the agent is busy, e.g. in a 10 000-firewall
 *     bulk, and resending it every {@code resendAfter} only adds work)
 * @param chunk guests handled per provisioning transaction
 * @param maxRestarts a guest that crashes or stops on its own (desired RUNNING) is replaced by a
 *     new one at most this many times within {@code restartWindow}; then it stays FAILED
 * @param restartBackoff the first restart is immediate, the n-th waits
 *     {@code restartBackoff * 2^(n-2)} (at most {@code restartBackoffMax})
 * @param restartBackoffMax longest wait before a restart
 * @param restartWindow restarts older than this are forgotten (a guest that ran this long
 *     starts counting from zero)
 */
@ConfigurationProperties("mayfly.firewall")
public record FirewallSettings(
    @DefaultValue("false") boolean failOpen,
    @DefaultValue("mfcore0") String coreBridge,
    @DefaultValue("mayfly.core-bridge") String coreBridgeLabel,
    @DefaultValue("16") int memoryMib,
    @DefaultValue("100") int cpuWeight,
    @DefaultValue("16") int pidsMax,
    @DefaultValue("2s") Duration interval,
    @DefaultValue("10s") Duration resendAfter,
    @DefaultValue("500") int chunk,
    @DefaultValue("5") int maxRestarts,
    @DefaultValue("1s") Duration restartBackoff,
    @DefaultValue("30s") Duration restartBackoffMax,
    @DefaultValue("10m") Duration restartWindow,
    @DefaultValue("2m") Duration resendAfterLive) {

  /** How long the n-th restart (1-based) within the window waits. */
  public Duration backoff(int n) {
    if (n <= 1) {
      return Duration.ZERO;
    }
    Duration d = restartBackoff.multipliedBy(1L << Math.min(20, n - 2));
    return d.compareTo(restartBackoffMax) > 0 ? restartBackoffMax : d;
  }
}
