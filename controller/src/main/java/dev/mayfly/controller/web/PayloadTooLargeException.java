package dev.mayfly.controller.web;

import java.io.IOException;

/** Thrown while reading a request body that exceeds {@code mayfly.api.max-body-bytes}. */
public class PayloadTooLargeException extends IOException {

  private final long limit;

  public PayloadTooLargeException(long limit) {
    super("request body larger than " + limit + " bytes");
    this.limit = limit;
  }

  public long limit() {
    return limit;
  }
}
