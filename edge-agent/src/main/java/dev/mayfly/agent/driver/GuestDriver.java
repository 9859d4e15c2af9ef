package dev.mayfly.agent.driver;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A guest driver: the agent's only way to run guests (ARCHITECTURE §2).
 *
 * <p>The first implementation is {@code sandbox} (namespaces + cgroups + seccomp,
 * container-grade isolation). Drivers for real VMs (Xen via libxenctrl, KVM/QEMU
 * microvm) plug in behind this interface. Optional capabilities are separate
 * small interfaces ({@link Pausable}, {@link Checkpointable}, {@link HandlerAccess});
 * callers test with {@code instanceof}.
 *
 * <p>Every method is safe to call from any thread. Operations on unknown guest ids
 * throw {@link GuestException} with code {@link GuestException.Code#NOT_FOUND};
 * {@link #destroy} of an unknown or already destroyed guest is a no-op.
 */
public interface GuestDriver extends AutoCloseable {

  /** Driver name as reported to the controller ("sandbox"). */
  String name();

  /** What this driver can do on this host, and why not if it cannot. */
  Fingerprint fingerprint();

  /**
   * Prepares one shell of the given class ahead of time (the split toolstack's
   * "prepare" half). Called by the shell pool in the background.
   */
  Shell prepare(ShellClass shellClass) throws GuestException;

  /**
   * Makes the calling thread a background one, if the driver can: the shell pool's refill
   * threads call it so that preparing ahead only uses CPU time nothing else wants. Default:
   * nothing (the thread keeps its priority).
   */
  default void backgroundThread() {}

  /**
   * Boots a guest (the "execute" half): takes {@code shell} if given (pooled path),
   * otherwise prepares one in line (cold path). Returns when the guest reported
   * RUNNING, or throws with the guest's own error (e.g. "config:12: ...").
   * On failure the shell is destroyed or recycled; nothing leaks.
   */
  GuestInfo boot(GuestSpec spec, Optional<Shell> shell) throws GuestException;

  /** Stops and removes the guest: kill, reap, release veths and cgroup. Idempotent. */
  void destroy(String guestId) throws GuestException;

  /** Current view of one guest. */
  Optional<GuestInfo> inspect(String guestId);

  /** All guests this driver holds (O(n), for listing and re-reporting only). */
  List<GuestInfo> list();

  /**
   * Re-adopts guests left by a previous agent process from the driver's state
   * directory (like Nomad's RecoverTask). Guests that died meanwhile are reported
   * CRASHED and cleaned up. Returns what was adopted.
   */
  List<GuestInfo> recover() throws GuestException;

  /** Registers a listener for every guest state transition. */
  void addListener(Consumer<GuestEvent> listener);

  /** Releases driver resources; running guests are left running (agent restart). */
  @Override
  void close();

  /** Optional capability: pause / unpause. */
  interface Pausable {
    void pause(String guestId) throws GuestException;

    void unpause(String guestId) throws GuestException;
  }

  /** Optional capability: checkpoint / restore (migration). */
  interface Checkpointable {
    /** Pauses the guest's processing and returns its serialised state. */
    byte[] checkpoint(String guestId) throws GuestException;

    /** Boots a guest from a checkpoint made by {@link #checkpoint}. */
    GuestInfo restore(GuestSpec spec, byte[] checkpoint, Optional<Shell> shell)
        throws GuestException;
  }

  /**
   * Optional capability: live state import (migration into a guest booted ahead of the
   * source's pause, issue 6). The target boots the guest with the same configuration and
   * pauses it before the downtime; during the downtime only the element state moves.
   */
  interface StateImport {
    /**
     * Replaces the element state of a RUNNING or PAUSED guest with a checkpoint made by
     * {@link Checkpointable#checkpoint}; a paused guest is unpaused and forwards from then on.
     * A refused checkpoint (corrupted, truncated) fails with {@code CONFIG_REJECTED} and leaves
     * the guest as it was (paused again if it was paused).
     */
    void importState(String guestId, byte[] checkpoint) throws GuestException;
  }

  /** Optional capability: Click read/write handlers of a running guest. */
  interface HandlerAccess {
    void writeHandler(String guestId, String handler, String value) throws GuestException;

    java.util.Map<String, String> readHandlers(String guestId) throws GuestException;
  }
}
