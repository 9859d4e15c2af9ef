package dev.mayfly.agent.driver.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Whether libnoxs could be loaded, and why not (Netty's {@code Epoll.isAvailable()} pattern).
 *
 * <p>Where the library comes from, first match wins:
 * <ol>
 *   <li>system property {@code mayfly.libnoxs.path} (or env {@code MAYFLY_LIBNOXS});
 *   <li>{@code edge-agent/target/native/libnoxs.so} (or {@code target/native/libnoxs.so})
 *       relative to the working directory: a source checkout after {@code mvn compile};
 *   <li>the copy packed in the jar at {@code /native/linux-x86_64/libnoxs.so}, extracted to a
 *       private temporary file (the shaded agent jar carries it).
 * </ol>
 * Loading never throws; callers check {@link #isAvailable()} or {@link #ensureAvailability()}.
 * Root is required too (namespaces, cgroups, rtnetlink): without it the library loads but
 * {@link #isAvailable()} is false with that reason.
 */
public final class NoxsNative {
  private static final NoxsLib LIB;
  private static final Runtime RUNTIME;
  private static final Throwable CAUSE;
  private static final String PATH;

  static {
    NoxsLib lib = null;
    Runtime rt = null;
    Throwable cause = null;
    String path = null;
    try {
      if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
        throw new UnsupportedOperationException("libnoxs needs Linux");
      }
      path = locate();
      lib = LibraryLoader.create(NoxsLib.class).failImmediately().load(path);
      rt = Runtime.getRuntime(lib);
      if (!"root".equals(System.getProperty("user.name"))) {
        cause = new UnsupportedOperationException(
            "the sandbox driver needs root (namespaces, cgroups, rtnetlink); running as "
                + System.getProperty("user.name"));
      }
    } catch (Throwable t) {
      cause = t;
      lib = null;
    }
    LIB = lib;
    RUNTIME = rt;
    CAUSE = cause;
    PATH = path;
  }

  private NoxsNative() {}

  private static String locate() throws IOException {
    String p = System.getProperty("mayfly.libnoxs.path", System.getenv("MAYFLY_LIBNOXS"));
    if (p != null && !p.isBlank()) {
      if (!Files.isReadable(Path.of(p))) {
        throw new IOException("mayfly.libnoxs.path: " + p + " does not exist");
      }
      return p;
    }
    for (String c : new String[] {"edge-agent/target/native/libnoxs.so", "target/native/libnoxs.so"}) {
      Path f = Path.of(c).toAbsolutePath();
      if (Files.isReadable(f)) {
        return f.toString();
      }
    }
    try (InputStream in = NoxsNative.class.getResourceAsStream("/native/linux-x86_64/libnoxs.so")) {
      if (in == null) {
        throw new IOException("libnoxs.so not found (set -Dmayfly.libnoxs.path, build edge-agent, "
            + "or use the agent jar that carries native/linux-x86_64/libnoxs.so)");
      }
      Path tmp = Files.createTempFile("mayfly-libnoxs-", ".so");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      tmp.toFile().deleteOnExit();
      return tmp.toString();
    }
  }

  public static boolean isAvailable() {
    return CAUSE == null;
  }

  /** Why libnoxs cannot be used, or null when it can. */
  public static Throwable unavailabilityCause() {
    return CAUSE;
  }

  /** A one-line reason, for test skips and the driver fingerprint. */
  public static String unavailabilityReason() {
    return CAUSE == null ? null : CAUSE.getClass().getSimpleName() + ": " + CAUSE.getMessage();
  }

  public static void ensureAvailability() {
    if (CAUSE != null) {
      throw (Error) new UnsatisfiedLinkError("libnoxs unavailable: " + CAUSE.getMessage())
          .initCause(CAUSE);
    }
  }

  /** The loaded library; only when {@link #isAvailable()}. */
  static NoxsLib lib() {
    ensureAvailability();
    return LIB;
  }

  /** Where the library was loaded from (null if not found). */
  public static String path() {
    return PATH;
  }

  static Pointer newError() {
    return Memory.allocateDirect(RUNTIME, 512, true);
  }

  static int status(Pointer err) {
    return err.getInt(0);
  }

  static String message(Pointer err) {
    return err.getString(4);
  }
}
