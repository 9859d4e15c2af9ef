package dev.mayfly.controller.instance;

import dev.mayfly.controller.config.MapJsonConverter;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

@Entity
@Table(name = "nf_instance")
public class NfInstanceEntity {

  public enum Desired { RUNNING, DELETED }

  /** Mirrors the API's InstanceState. */
  public enum Observed { PENDING, BOOTING, RUNNING, PAUSED, STOPPED, CRASHED, FAILED, UNREACHABLE, TERMINATING }

  @Id
  private UUID id;
  private String name;
  @Column(name = "nf_name")
  private String nfName;
  @Column(name = "nf_version")
  private String nfVersion;
  @Column(name = "node_name")
  private String nodeName;
  @Column(name = "guest_id")
  private String guestId;
  @Column(name = "desired_state")
  private String desiredState;
  private long generation;
  /**
   * The next command generation is above this (a live migration reserves generations
   * {@code generation+1 .. generation+10} of the guest on both agents; see
   * {@code dev.mayfly.controller.migration.InstanceMigrations}).
   */
  @Column(name = "generation_floor")
  private long generationFloor;
  @Column(name = "observed_state")
  private String observedState;
  @Column(name = "observed_generation")
  private long observedGeneration;
  @Column(name = "dispatched_generation")
  private long dispatchedGeneration;
  @Column(name = "dispatched_at")
  private Instant dispatchedAt;
  @Column(name = "memory_bytes")
  private long memoryBytes;
  @Convert(converter = MapJsonConverter.class)
  @Column(name = "constraint_labels")
  private Map<String, String> constraintLabels = new TreeMap<>();
  private String strategy;
  /** JSON array of PortAttachment. */
  private String ports;
  @Convert(converter = MapJsonConverter.class)
  private Map<String, String> labels = new TreeMap<>();
  @Column(name = "last_error")
  private String lastError;
  private int restarts;
  @Column(name = "operation_id")
  private UUID operationId;
  @Column(name = "created_at")
  private Instant createdAt;
  @Column(name = "updated_at")
  private Instant updatedAt;

  protected NfInstanceEntity() {}

  public NfInstanceEntity(UUID id, String name, String nfName, String nfVersion, String nodeName, long memoryBytes,
      Map<String, String> constraintLabels, String strategy, String portsJson, Map<String, String> labels,
      Instant now) {
    this.id = id;
    this.name = name;
    this.nfName = nfName;
    this.nfVersion = nfVersion;
    this.nodeName = nodeName;
    this.guestId = id.toString();
    this.desiredState = Desired.RUNNING.name();
    this.generation = 1;
    this.observedState = Observed.PENDING.name();
    this.memoryBytes = memoryBytes;
    this.constraintLabels = new TreeMap<>(constraintLabels);
    this.strategy = strategy;
    this.ports = portsJson;
    this.labels = new TreeMap<>(labels);
    this.createdAt = now;
    this.updatedAt = now;
  }

  // --- transitions -----------------------------------------------------------

  /** Desired state changes: bump the generation so agents see a new command. */
  public void desire(Desired d, Instant now) {
    this.desiredState = d.name();
    this.generation = Math.max(generation, generationFloor) + 1;
    this.dispatchedAt = null;
    touch(now);
  }

  /** Move to another node (drain): new guest id, new generation, nothing observed yet. */
  public void moveTo(String node, Instant now) {
    this.nodeName = node;
    this.guestId = UUID.randomUUID().toString();
    this.generation++;
    this.observedState = Observed.PENDING.name();
    this.observedGeneration = 0;
    this.dispatchedGeneration = 0;
    this.dispatchedAt = null;
    this.lastError = null;
    touch(now);
  }

  /** Crashed / stopped guest comes back: same guest id, next generation. */
  public void restart(Instant now) {
    this.restarts++;
    this.generation = Math.max(generation, generationFloor) + 1;
    this.observedState = Observed.PENDING.name();
    this.dispatchedAt = null;
    touch(now);
  }

  public void dispatched(Instant now) {
    this.dispatchedGeneration = generation;
    this.dispatchedAt = now;
  }

  /** Forget when the last command went out, so the reconciler resends at once (node came back). */
  public void redispatchSoon() {
    this.dispatchedAt = null;
  }

  public void observe(Observed s, long gen, String error, Instant now) {
    this.observedState = s.name();
    this.observedGeneration = Math.max(observedGeneration, gen);
    if (error != null) {
      this.lastError = error;
    }
    touch(now);
  }

  /** Observed state only (e.g. UNREACHABLE), generation untouched. */
  public void show(Observed s, Instant now) {
    this.observedState = s.name();
    touch(now);
  }

  /** The agent does not hold the guest (after a reconnect): resend the current generation. */
  public void lost(Instant now) {
    this.observedState = Observed.PENDING.name();
    this.observedGeneration = 0;
    this.dispatchedAt = null;
    touch(now);
  }

  public void operation(UUID op) {
    this.operationId = op;
  }

  private void touch(Instant now) {
    this.updatedAt = now;
  }

  // --- accessors -------------------------------------------------------------

  public UUID id() {
    return id;
  }

  public String name() {
    return name;
  }

  public String nfName() {
    return nfName;
  }

  public String nfVersion() {
    return nfVersion;
  }

  public String nodeName() {
    return nodeName;
  }

  public String guestId() {
    return guestId;
  }

  public Desired desired() {
    return Desired.valueOf(desiredState);
  }

  public long generation() {
    return generation;
  }

  public Observed observed() {
    return Observed.valueOf(observedState);
  }

  public long generationFloor() {
    return generationFloor;
  }

  public long observedGeneration() {
    return observedGeneration;
  }

  public long dispatchedGeneration() {
    return dispatchedGeneration;
  }

  public Instant dispatchedAt() {
    return dispatchedAt;
  }

  public long memoryBytes() {
    return memoryBytes;
  }

  public Map<String, String> constraintLabels() {
    return constraintLabels;
  }

  public String strategy() {
    return strategy;
  }

  public String portsJson() {
    return ports;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public String lastError() {
    return lastError;
  }

  public int restarts() {
    return restarts;
  }

  public UUID operationId() {
    return operationId;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public Instant updatedAt() {
    return updatedAt;
  }
}
