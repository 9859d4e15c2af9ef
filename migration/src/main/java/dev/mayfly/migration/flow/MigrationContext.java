package dev.mayfly.migration.flow;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the steps of one migration get: its ids and a small attribute map they share (e.g. the
 * checkpoint size the source reported). Attributes are persisted in every {@link
 * MigrationSnapshot}: keep them small and never put secrets (such as transfer tokens) in them.
 */
public final class MigrationContext {
  private final String migrationId;
  private final String guestId;
  private final String sourceNode;
  private final String targetNode;
  private final Map<String, String> attributes = new ConcurrentHashMap<>();

  public MigrationContext(String migrationId, String guestId, String sourceNode, String targetNode) {
    this.migrationId = requireText(migrationId, "migrationId");
    this.guestId = requireText(guestId, "guestId");
    this.sourceNode = requireText(sourceNode, "sourceNode");
    this.targetNode = requireText(targetNode, "targetNode");
    if (sourceNode.equals(targetNode)) {
      throw new IllegalArgumentException("sourceNode and targetNode are both '" + sourceNode + "'");
    }
  }

  private static String requireText(String v, String field) {
    Objects.requireNonNull(v, field);
    if (v.isBlank()) throw new IllegalArgumentException(field + " is blank");
    return v;
  }

  public String migrationId() {
    return migrationId;
  }

  public String guestId() {
    return guestId;
  }

  public String sourceNode() {
    return sourceNode;
  }

  public String targetNode() {
    return targetNode;
  }

  /** Mutable, thread-safe; persisted with each snapshot. */
  public Map<String, String> attributes() {
    return attributes;
  }

  @Override
  public String toString() {
    return "migration " + migrationId + " of guest " + guestId + " " + sourceNode + " -> " + targetNode;
  }
}
