package dev.mayfly.agent.driver;

import java.util.Map;

/** Snapshot of one guest as the driver sees it. timingsMs: phase name to milliseconds. */
public record GuestInfo(
    String guestId,
    long generation,
    GuestState state,
    int pid,
    String nfType,
    long startedAtMillis,
    Map<String, Double> timingsMs,
    Map<String, String> labels) {}
