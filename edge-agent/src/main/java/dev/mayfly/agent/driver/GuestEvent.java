package dev.mayfly.agent.driver;

/** A guest state transition. */
public record GuestEvent(String guestId, long generation, GuestState state, String reason, long atMillis) {}
