package dev.mayfly.migration.transfer;

/**
 * Outcome of a successful send.
 *
 * @param bytes checkpoint bytes the receiver verified
 * @param millis from the start of the connect to the receiver's DONE, in milliseconds (fractional)
 */
public record TransferResult(long bytes, double millis) {}
