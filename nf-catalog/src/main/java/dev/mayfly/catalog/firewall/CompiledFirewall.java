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

  /**
   * Whether every {@link #liveUpdate()} write fits the guest's write-handler area
   * ({@link FirewallCompiler#MAX_HANDLER_REQUEST_BYTES}, request {@code "handler\nvalue"}).
   * Policies with many rules may not (about 50 rules per direction fit): replace the guest
   * with {@link #clickConfig()} instead.
   */
  public boolean liveUpdateFits() {
    return liveUpdate().stream().allMatch(w -> FirewallCompiler.utf8Length(w.handler() + "\n" + w.value())
        <= FirewallCompiler.MAX_HANDLER_REQUEST_BYTES);
  }
}
