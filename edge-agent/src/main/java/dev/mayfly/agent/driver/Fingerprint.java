package dev.mayfly.agent.driver;

import java.util.Set;

/**
 * What a driver offers on this host.
 *
 * @param available whether the driver can run guests here
 * @param unavailableReason why not, when {@code available} is false
 * @param capabilities e.g. "pause", "checkpoint", "handlers", "userns"
 * @param attributes free-form facts (cgroup version, kernel, ...)
 */
public record Fingerprint(
    boolean available, String unavailableReason, Set<String> capabilities,
    java.util.Map<String, String> attributes) {}
