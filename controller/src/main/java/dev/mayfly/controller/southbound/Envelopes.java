package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.Envelope;
import dev.mayfly.southbound.v1.ProtocolError;

/** Small helpers for building southbound envelopes. */
public final class Envelopes {
  public static final int PROTOCOL_VERSION = 1;

  private Envelopes() {}

  public static Envelope.Builder envelope() {
    return Envelope.newBuilder().setProtocolVersion(PROTOCOL_VERSION);
  }

  public static Envelope error(String code, String message) {
    return envelope().setError(ProtocolError.newBuilder().setCode(code).setMessage(message)).build();
  }
}
