package dev.mayfly.migration.checkpoint;

/**
 * A stateful part of a guest that goes into a checkpoint as one section, in the manner of
 * Firecracker's {@code Persist::save()/restore()} and Click's {@code take_state}: {@link #save()}
 * returns the part's state, {@link #restore(byte[])} rebuilds it on the target.
 */
public interface Persistable {
  /** The section type this part is stored in (see {@link SectionType}). */
  int sectionType();

  /** The part's state as bytes. */
  byte[] save();

  /** Rebuilds the part from bytes produced by {@link #save()}; rejects bytes it cannot use. */
  void restore(byte[] state) throws CheckpointFormatException;
}
