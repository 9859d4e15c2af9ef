package dev.mayfly.agent.driver.sandbox;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.PointerByReference;
import jnr.ffi.types.size_t;

/**
 * jnr-ffi binding of exactly the symbols libnoxs exports (edge-agent/src/main/c/include/noxs.h,
 * libnoxs.lds). {@code err} is a 512-byte {@code noxs_error_t}: int32 status + message.
 */
public interface NoxsLib {
  int noxs_host_init(String runtimePath, String rootDir, int flags, Pointer err);

  int noxs_host_describe(@Out byte[] buf, @size_t long len, Pointer err);

  int noxs_host_set_subreaper(Pointer err);

  int noxs_host_reap(int pid, Pointer err);

  int noxs_thread_background(Pointer err);

  int noxs_shell_prepare(String slot, int nports, long memoryBytes, int cpuWeight, int pidsMax,
      int waitMs, PointerByReference out, Pointer err);

  int noxs_shell_prepare_x(String slot, int nports, int xconnectMask, long memoryBytes,
      int cpuWeight, int pidsMax, int waitMs, PointerByReference out, Pointer err);

  int noxs_shell_prepare_b(String slot, int nports, int xconnectMask, String bridges,
      long memoryBytes, int cpuWeight, int pidsMax, int waitMs, PointerByReference out, Pointer err);

  int noxs_shell_adopt(String slot, int pid, long startTime, int nports, PointerByReference out,
      Pointer err);

  int noxs_shell_pid(Pointer shell);

  int noxs_shell_pidfd(Pointer shell);

  long noxs_shell_start_time(Pointer shell);

  int noxs_shell_state(Pointer shell);

  int noxs_shell_alive(Pointer shell);

  int noxs_shell_identity(Pointer shell, @Out byte[] buf, int len);

  int noxs_shell_port_attach(Pointer shell, int idx, String name, String mac, String bridge,
      String xconnect, Pointer err);

  int noxs_guest_boot(Pointer shell, String guestId, long generation, String config,
      int timeoutMs, Pointer err);

  int noxs_guest_restore(Pointer shell, String guestId, long generation, String config,
      @In byte[] blob, long blobLen, int timeoutMs, Pointer err);

  long noxs_guest_checkpoint(Pointer shell, int timeoutMs, Pointer err);

  int noxs_guest_import(Pointer shell, @In byte[] blob, long blobLen, int timeoutMs, Pointer err);

  long noxs_guest_read_bulk(Pointer shell, @Out byte[] buf, long len, Pointer err);

  int noxs_guest_resume(Pointer shell, int timeoutMs, Pointer err);

  int noxs_guest_pause(Pointer shell, Pointer err);

  int noxs_guest_unpause(Pointer shell, Pointer err);

  int noxs_guest_write_handler(Pointer shell, String handler, String value, int timeoutMs,
      Pointer err);

  int noxs_guest_read_stats(Pointer shell, @Out byte[] buf, int len, int timeoutMs, Pointer err);

  int noxs_guest_result(Pointer shell, @Out byte[] buf, int len);

  int noxs_shell_destroy(Pointer shell, Pointer err);

  int noxs_slot_cleanup(String slot, int nports, Pointer err);

  void noxs_shell_release(Pointer shell);

  int noxs_watch_create(Pointer err);

  int noxs_watch_add(int watchFd, Pointer shell, long token, Pointer err);

  int noxs_watch_del(int watchFd, Pointer shell);

  int noxs_watch_wait(int watchFd, @Out long[] tokens, int max, int timeoutMs, Pointer err);

  void noxs_watch_close(int watchFd);
}
