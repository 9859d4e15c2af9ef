package dev.mayfly.migration.transfer;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/** Helpers shared by the two ends. */
final class Transfers {
  private Transfers() {}

  /** A one-line reason for a pipeline exception. */
  static String describe(Throwable cause, TransferOptions options) {
    Throwable t = cause;
    while ((t instanceof DecoderException || t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null && !(t instanceof io.netty.handler.codec.CorruptedFrameException)) {
      t = t.getCause();
    }
    if (t instanceof ReadTimeoutException) {
      return "no data for " + options.idleTimeout().toMillis() + " ms (idle timeout)";
    }
    if (t instanceof SSLException) return "TLS: " + t.getMessage();
    if (t instanceof io.netty.handler.codec.TooLongFrameException) return "frame too long: " + t.getMessage();
    if (t instanceof io.netty.handler.codec.CorruptedFrameException) return "corrupted frame: " + t.getMessage();
    String msg = t.getMessage();
    return msg == null ? t.getClass().getName() : t.getClass().getSimpleName() + ": " + msg;
  }
}
