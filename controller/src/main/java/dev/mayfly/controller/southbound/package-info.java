/**
 * Southbound: the controller end of the agent protocol (ARCHITECTURE §5, docs/southbound.md).
 *
 * <p>Owns the controller CA ({@link dev.mayfly.controller.southbound.CertificateAuthority}),
 * the bootstrap token, the Netty server with its pipeline
 * ({@link dev.mayfly.controller.southbound.SouthboundChannelInitializer}) and per-connection
 * state machine, and the node → connection registry behind
 * {@link dev.mayfly.controller.southbound.AgentGateway}. What agents report goes out
 * through {@link dev.mayfly.controller.southbound.SouthboundListener}, implemented by the
 * node and instance features.
 */
package dev.mayfly.controller.southbound;
