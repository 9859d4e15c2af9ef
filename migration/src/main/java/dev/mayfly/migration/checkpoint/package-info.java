/**
 * The {@code MFCK} checkpoint container: a versioned, checksummed, size-capped file holding one
 * guest's state (Click configuration text, the opaque element-state blob written by the guest
 * runtime, key/value metadata, and further typed sections).
 *
 * <p>Modelled on Firecracker's snapshot container (magic + version + state + CRC, with a size
 * cap): every length is checked against the remaining input and the cap before anything is
 * allocated, and every malformed input ends in a {@link
 * dev.mayfly.migration.checkpoint.CheckpointFormatException} naming the section and offset.
 * Byte layout: {@code docs/migration.md}.
 */
package dev.mayfly.migration.checkpoint;
