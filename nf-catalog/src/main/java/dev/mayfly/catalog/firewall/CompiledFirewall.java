package dev.mayfly.catalog.firewall;

import java.util.List;

/**
 * A policy compiled for one subscriber.
 *
 * @param clickConfig the whole Click configuration for the firewall guest (ports
 *     {@code access} and {@code core})
 * @param outboundFilter the argument text of the {@code out_filter} IPFilter
 * @param inboundFilter the argument text of the {@code in_filter} IPFilter
 * @param stateful whether the configuration contains the {@code fw} FlowFirewall
 */
public record CompiledFirewall(String clickConfig, String outboundFilter, String inboundFilter,
    boolean stateful) {

  /** A write handler call: {@code element.handler} and the value to write. */
  public record HandlerWrite(String handler, String value) {}

  /**
   * The handler writes that turn a running guest compiled from another policy with the same
   * {@code stateful} flag into this one, without a restart and keeping the flow table (see
   * {@link FirewallCompiler#canUpdateLive}).
   */
  public List<HandlerWrite> liveUpdate() {
    return List.of(new HandlerWrite(FirewallCompiler.OUT_FILTER + ".config", outboundFilter),
        new HandlerWrite(FirewallCompiler.IN_FILTER + ".config", inboundFilter));
  }
}
