package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.Pointer;

/** A prepared shell of the sandbox driver: a native handle plus its slot name. */
final class SandboxShell implements Shell {
  final String slot;
  final ShellClass shellClass;
  final Pointer handle;
  final int pid;
  final long startTime;
  final long preparedNanos;
  /** per port, the bridge its host end joined at prepare; null: none */
  private final String[] ahead;
  private final SandboxDriver owner;
  private final AtomicBoolean claimed = new AtomicBoolean();

  SandboxShell(SandboxDriver owner, String slot, ShellClass cls, Pointer handle, long prepNanos,
      String[] ahead) {
    this.owner = owner;
    this.ahead = ahead == null ? null : ahead.clone();
    this.slot = slot;
    this.shellClass = cls;
    this.handle = handle;
    this.pid = Noxs.lib().noxs_shell_pid(handle);
    this.startTime = Noxs.lib().noxs_shell_start_time(handle);
    this.preparedNanos = prepNanos;
  }

  @Override
  public ShellClass shellClass() {
    return shellClass;
  }

  @Override
  public int pid() {
    return pid;
  }

  /** The bridge port {@code i}'s host end joined at prepare, or null. */
  String ahead(int i) {
    return ahead == null || i >= ahead.length ? null : ahead[i];
  }

  /** Takes the shell for one boot; false if it was already taken or discarded. */
  boolean claim() {
    return claimed.compareAndSet(false, true);
  }

  boolean ownedBy(SandboxDriver d) {
    return owner == d;
  }

  @Override
  public void discard() {
    if (claim()) {
      owner.discardShell(this);
    }
  }

  @Override
  public String toString() {
    return "shell " + slot + " pid " + pid;
  }
}
