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
 * @param chunk guests handled per provisioning transaction
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
    @DefaultValue("500") int chunk) {}
