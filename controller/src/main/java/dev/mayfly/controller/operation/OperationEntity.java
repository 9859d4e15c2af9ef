package dev.mayfly.controller.operation;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Embeddable;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderColumn;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

@Entity
@Table(name = "operation")
public class OperationEntity {

  public enum Type { INSTANTIATE, TERMINATE, DRAIN, HANDOVER, MIGRATE }

  public enum State {
    PENDING, RUNNING, SUCCEEDED, FAILED, ROLLED_BACK;

    public boolean isFinal() {
      return this == SUCCEEDED || this == FAILED || this == ROLLED_BACK;
    }
  }

  public enum ResourceType { NF_INSTANCE, EDGE_NODE, SUBSCRIBER }

  @Id
  private UUID id;
  private String type;
  private String state;
  @Column(name = "resource_type")
  private String resourceType;
  @Column(name = "resource_id")
  private String resourceId;
  @Column(name = "start_time")
  private Instant startTime;
  @Column(name = "state_entered_time")
  private Instant stateEnteredTime;
  @Column(name = "error_status")
  private Integer errorStatus;
  @Column(name = "error_title")
  private String errorTitle;
  @Column(name = "error_detail")
  private String errorDetail;
  @Column(name = "error_fields")
  private String errorFields;

  @ElementCollection(fetch = FetchType.EAGER)
  @CollectionTable(name = "operation_phase", joinColumns = @JoinColumn(name = "operation_id"))
  @OrderColumn(name = "seq")
  private List<Phase> phases = new ArrayList<>();

  protected OperationEntity() {}

  public OperationEntity(Type type, ResourceType resourceType, String resourceId, Instant now) {
    this.id = UUID.randomUUID();
    this.type = type.name();
    this.state = State.RUNNING.name();
    this.resourceType = resourceType.name();
    this.resourceId = resourceId;
    this.startTime = now;
    this.stateEnteredTime = now;
  }

  /** One step of an operation. */
  @Embeddable
  public static class Phase {
    private String name;
    private String state;
    @Column(name = "start_time")
    private Instant startTime;
    @Column(name = "duration_ms")
    private Double durationMs;
    private String detail;

    protected Phase() {}

    public Phase(String name, State state, Instant startTime, Double durationMs, String detail) {
      this.name = name;
      this.state = state.name();
      this.startTime = startTime;
      this.durationMs = durationMs;
      this.detail = detail;
    }

    public String name() {
      return name;
    }

    public State state() {
      return State.valueOf(state);
    }

    public Instant startTime() {
      return startTime;
    }

    public Double durationMs() {
      return durationMs;
    }

    public String detail() {
      return detail;
    }

    void finish(State s, Double durationMs, String detail) {
      this.state = s.name();
      this.durationMs = durationMs;
      if (detail != null) {
        this.detail = detail;
      }
    }
  }

  public UUID id() {
    return id;
  }

  public Type type() {
    return Type.valueOf(type);
  }

  public State state() {
    return State.valueOf(state);
  }

  public ResourceType resourceType() {
    return ResourceType.valueOf(resourceType);
  }

  public String resourceId() {
    return resourceId;
  }

  public Instant startTime() {
    return startTime;
  }

  public Instant stateEnteredTime() {
    return stateEnteredTime;
  }

  public List<Phase> phases() {
    return phases;
  }

  public Integer errorStatus() {
    return errorStatus;
  }

  public String errorTitle() {
    return errorTitle;
  }

  public String errorDetail() {
    return errorDetail;
  }

  public String errorFields() {
    return errorFields;
  }

  public void addPhase(Phase p) {
    phases.add(p);
  }

  /** The last phase with this name, if any. */
  public Phase phase(String name) {
    for (int i = phases.size() - 1; i >= 0; i--) {
      if (phases.get(i).name().equals(name)) {
        return phases.get(i);
      }
    }
    return null;
  }

  public void finishPhase(String name, State s, Instant now, String detail) {
    Phase p = phase(name);
    if (p != null && p.state() == State.RUNNING) {
      double ms = p.startTime() == null ? 0 : (now.toEpochMilli() - p.startTime().toEpochMilli());
      p.finish(s, ms, detail);
    }
  }

  void setState(State s, Instant now) {
    this.state = s.name();
    this.stateEnteredTime = now;
  }

  void setError(int status, String title, String detail, String fieldsJson) {
    this.errorStatus = status;
    this.errorTitle = title;
    this.errorDetail = detail;
    this.errorFields = fieldsJson;
  }
}
