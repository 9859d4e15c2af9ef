package dev.mayfly.controller.web;

import dev.mayfly.controller.config.MayflyProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code mayfly.api.max-body-bytes} (default 1 MiB) with 413:
 * at once when Content-Length says so, otherwise (chunked) when reading crosses the
 * limit, which surfaces as {@link PayloadTooLargeException} in {@link ProblemAdvice}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class BodySizeLimitFilter extends OncePerRequestFilter {

  private final long defaultLimit;
  /** Bulk subscriber provisioning (10 000 items with policies) needs more: {@code mayfly.firewall.max-batch-body-bytes}. */
  private final long batchLimit;

  public BodySizeLimitFilter(MayflyProperties props,
      @org.springframework.beans.factory.annotation.Value("${mayfly.firewall.max-batch-body-bytes:67108864}") long batchLimit) {
    this.defaultLimit = props.api().maxBodyBytes();
    this.batchLimit = Math.max(batchLimit, defaultLimit);
  }

  @Override
  protected void doFilterInternal(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws ServletException, IOException {
    long limit = req.getRequestURI().equals(WebConfig.API_PREFIX + "/subscriber-batches") ? batchLimit : defaultLimit;
    long len = req.getContentLengthLong();
    if (len > limit) {
      ProblemAdvice.writeRaw(res, 413, "payload-too-large", "Payload too large",
          "request body of " + len + " bytes exceeds the limit of " + limit + " bytes", req.getRequestURI());
      return;
    }
    chain.doFilter(len >= 0 ? req : new Limited(req, limit), res);
  }

  private static final class Limited extends HttpServletRequestWrapper {
    private final long limit;
    private ServletInputStream stream;

    Limited(HttpServletRequest req, long limit) {
      super(req);
      this.limit = limit;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        ServletInputStream in = super.getInputStream();
        stream = new ServletInputStream() {
          long count;

          @Override
          public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && ++count > limit) {
              throw new PayloadTooLargeException(limit);
            }
            return b;
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0 && (count += n) > limit) {
              throw new PayloadTooLargeException(limit);
            }
            return n;
          }

          @Override
          public boolean isFinished() {
            return in.isFinished();
          }

          @Override
          public boolean isReady() {
            return in.isReady();
          }

          @Override
          public void setReadListener(ReadListener l) {
            in.setReadListener(l);
          }
        };
      }
      return stream;
    }
  }
}
