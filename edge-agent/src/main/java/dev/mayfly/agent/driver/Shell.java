package dev.mayfly.agent.driver;

/** A prepared shell (namespaces, cgroup, veths, control page, runtime waiting). */
public interface Shell {
  ShellClass shellClass();

  /** Host-side pid of the waiting runtime. */
  int pid();

  /** Discards the shell (kills it, releases everything). Idempotent. */
  void discard();
}
