package dev.mayfly.controller.instance;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A guest left on a node after its instance moved away (drain); the reconciler destroys it. */
@Entity
@Table(name = "guest_cleanup")
public class GuestCleanupEntity {

  @Id
  @Column(name = "guest_id")
  private String guestId;
  @Column(name = "node_name")
  private String nodeName;
  private long generation;
  @Column(name = "dispatched_at")
  private Instant dispatchedAt;
  @Column(name = "created_at")
  private Instant createdAt;

  protected GuestCleanupEntity() {}

  public GuestCleanupEntity(String guestId, String nodeName, long generation, Instant now) {
    this.guestId = guestId;
    this.nodeName = nodeName;
    this.generation = generation;
    this.createdAt = now;
  }

  public String guestId() {
    return guestId;
  }

  public String nodeName() {
    return nodeName;
  }

  public long generation() {
    return generation;
  }

  public Instant dispatchedAt() {
    return dispatchedAt;
  }

  public void dispatched(Instant now) {
    this.dispatchedAt = now;
  }
}
