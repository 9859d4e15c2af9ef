package dev.mayfly.agent.driver;

/** Guest lifecycle (ARCHITECTURE §2). */
public enum GuestState {
  PREPARED, BOOTING, RUNNING, PAUSED, CHECKPOINTED, STOPPED, CRASHED, FAILED, DESTROYED
}
