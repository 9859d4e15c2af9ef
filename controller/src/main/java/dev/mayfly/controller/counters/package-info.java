/**
 * Live firewall counters (issue 7): {@code GET /subscribers/{id}/firewall/counters} reads a
 * subscriber's firewall guest's Click read handlers through the southbound {@code ReadHandlers}
 * command and maps them to allowed/denied per direction and the flow-table size. Nothing is
 * stored: every call is one round trip to the agent.
 *
 * <ul>
 *   <li>{@link HandlerReader}: request/response over the southbound for read-only commands
 *       (its own {@link dev.mayfly.controller.southbound.SouthboundListener}; only results of
 *       commands it sent are consumed);</li>
 *   <li>{@link FirewallCountersService}: finds the guest (tables {@code subscriber},
 *       {@code firewall_guest}, read only), reads, maps; the HTTP status of every failure;</li>
 *   <li>{@link FirewallCountersMapper}: handler names of the compiled firewall
 *       ({@code dev.mayfly.catalog.firewall.FirewallCompiler}) to the API model;</li>
 *   <li>{@link FirewallCountersController}: the generated {@code FirewallCountersApi}.</li>
 * </ul>
 *
 * <p>The read is sent with generation 0: a read-only command must neither be refused as stale
 * nor be remembered as the guest's applied (generation, action) by the agent, and generation 0
 * is never one the firewall provisioner waits for (its creates start at 1), so it ignores the
 * result.
 */
package dev.mayfly.controller.counters;
