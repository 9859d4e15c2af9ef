package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestException.Code;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;
import jnr.ffi.byref.PointerByReference;

/** Thin Java face of {@link NoxsLib}: one per-thread error buffer, errors to {@link GuestException}. */
final class Noxs {
  static final int E_REJECTED = 5001;
  static final int E_CAPACITY = 5002;
  static final int HOST_USERNS = 0x1;
  static final int HOST_STDERR = 0x2;
  static final int HOST_CGROUP_V2 = 0x4;

  static final int ENOENT = 2;
  static final int ESRCH = 3;
  static final int EAGAIN = 11;
  static final int ENOMEM = 12;
  static final int EEXIST = 17;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int EBUSY = 16;
  static final int ETIMEDOUT = 110;

  private static final ThreadLocal<Pointer> ERR = ThreadLocal.withInitial(NoxsNative::newError);

  private Noxs() {}

  static NoxsLib lib() {
    return NoxsNative.lib();
  }

  static Pointer err() {
    return ERR.get();
  }

  static int status() {
    return NoxsNative.status(ERR.get());
  }

  static String message() {
    return NoxsNative.message(ERR.get());
  }

  /** Maps the thread's last error to a GuestException with context. */
  static GuestException failure(String context) {
    int st = status();
    String msg = context + ": " + message();
    Code code = switch (st) {
      case E_REJECTED -> Code.CONFIG_REJECTED;
      case E_CAPACITY, EAGAIN, ENOMEM, ENOSPC, 24 /* EMFILE */, 23 /* ENFILE */,
          54 /* EXFULL: bridge has 1023 ports */ -> Code.CAPACITY;
      case EINVAL, ENODEV -> Code.CONFIG_REJECTED;
      case EBUSY -> Code.INVALID_STATE;
      default -> Code.INTERNAL;
    };
    return new GuestException(code, msg);
  }

  static void check(int rc, String context) throws GuestException {
    if (rc < 0) {
      throw failure(context);
    }
  }

  /** {@code bridges}: one comma-separated entry per port, the bridge its host end joins now, or null. */
  static Pointer prepare(String slot, int nports, int xconnectMask, String bridges, long mem, int cpu,
      int pids, int waitMs) throws GuestException {
    PointerByReference out = new PointerByReference();
    check(lib().noxs_shell_prepare_b(slot, nports, xconnectMask, bridges, mem, cpu, pids, waitMs,
        out, err()), "prepare");
    return out.getValue();
  }

  static Pointer adopt(String slot, int pid, long startTime, int nports) throws GuestException {
    PointerByReference out = new PointerByReference();
    check(lib().noxs_shell_adopt(slot, pid, startTime, nports, out, err()), "adopt");
    return out.getValue();
  }

  static String cstring(byte[] buf, int len) {
    int n = Math.max(0, Math.min(len, buf.length));
    return new String(buf, 0, n, StandardCharsets.UTF_8);
  }
}
