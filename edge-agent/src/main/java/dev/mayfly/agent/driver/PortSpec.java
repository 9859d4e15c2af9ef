package dev.mayfly.agent.driver;

/**
 * One guest network port. Exactly one of {@code bridge} / {@code xconnect} may be set
 * (or neither: the host end is left unattached, e.g. for tests that attach it themselves).
 *
 * @param name port name used in the Click config (e.g. "access", "core")
 * @param bridge host bridge to attach the host end of the veth to, or null
 * @param xconnect host interface to cross-connect the host end with, or null
 * @param mac guest-side MAC "02:00:..", or null for a generated one
 */
public record PortSpec(String name, String bridge, String xconnect, String mac) {}
