package dev.mayfly.controller.node;

import dev.mayfly.controller.config.ListJsonConverter;
import dev.mayfly.controller.config.MapJsonConverter;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An edge node. {@code status} is derived from reachable / draining / cordoned and stored
 * so lists can filter on it: UNREACHABLE wins, then DRAINING, CORDONED, READY.
 */
@Entity
@Table(name = "edge_node")
public class EdgeNodeEntity {

  public enum Status { READY, CORDONED, DRAINING, UNREACHABLE }

  @Id
  private String name;
  private String status;
  private boolean reachable;
  private boolean cordoned;
  private boolean draining;
  private String driver;
  @Column(name = "agent_version")
  private String agentVersion;
  @Convert(converter = ListJsonConverter.class)
  private List<String> capabilities = new ArrayList<>();
  @Convert(converter = MapJsonConverter.class)
  private Map<String, String> labels = new TreeMap<>();
  @Column(name = "data_plane_address")
  private String dataPlaneAddress;
  private int cpus;
  @Column(name = "memory_bytes")
  private long memoryBytes;
  @Column(name = "guest_slots")
  private int guestSlots;
  @Column(name = "load_guests_running")
  private Integer loadGuestsRunning;
  @Column(name = "load_guests_total")
  private Integer loadGuestsTotal;
  @Column(name = "load_memory_used")
  private Long loadMemoryUsed;
  @Column(name = "load_memory_available")
  private Long loadMemoryAvailable;
  @Column(name = "load_load1")
  private Double loadLoad1;
  @Column(name = "load_pool_ready")
  private Integer loadPoolReady;
  @Column(name = "load_pool_target")
  private Integer loadPoolTarget;
  @Column(name = "load_boot_p50_ms")
  private Double loadBootP50Ms;
  @Column(name = "load_boot_p99_ms")
  private Double loadBootP99Ms;
  @Column(name = "registered_at")
  private Instant registeredAt;
  @Column(name = "last_seen")
  private Instant lastSeen;

  protected EdgeNodeEntity() {}

  public EdgeNodeEntity(String name, Instant now) {
    this.name = name;
    this.registeredAt = now;
    this.lastSeen = now;
    this.reachable = true;
    deriveStatus();
  }

  private void deriveStatus() {
    Status s = !reachable ? Status.UNREACHABLE : draining ? Status.DRAINING : cordoned ? Status.CORDONED : Status.READY;
    this.status = s.name();
  }

  public void registered(String driver, String agentVersion, List<String> capabilities, Map<String, String> labels,
      String dataPlaneAddress, int cpus, long memoryBytes, int guestSlots, Instant now) {
    this.driver = driver;
    this.agentVersion = agentVersion;
    this.capabilities = new ArrayList<>(capabilities);
    this.labels = new TreeMap<>(labels);
    this.dataPlaneAddress = dataPlaneAddress;
    this.cpus = cpus;
    this.memoryBytes = memoryBytes;
    this.guestSlots = guestSlots;
    this.registeredAt = now;
    this.lastSeen = now;
    this.reachable = true;
    deriveStatus();
  }

  public void load(int guestsRunning, int guestsTotal, long memUsed, long memAvailable, double load1, int poolReady,
      int poolTarget, double bootP50, double bootP99, Instant now) {
    this.loadGuestsRunning = guestsRunning;
    this.loadGuestsTotal = guestsTotal;
    this.loadMemoryUsed = memUsed;
    this.loadMemoryAvailable = memAvailable;
    this.loadLoad1 = load1;
    this.loadPoolReady = poolReady;
    this.loadPoolTarget = poolTarget;
    this.loadBootP50Ms = bootP50;
    this.loadBootP99Ms = bootP99;
    seen(now);
  }

  public void seen(Instant now) {
    this.lastSeen = now;
  }

  public void unreachable() {
    this.reachable = false;
    deriveStatus();
  }

  public void reachableAgain() {
    this.reachable = true;
    deriveStatus();
  }

  public void cordon() {
    this.cordoned = true;
    deriveStatus();
  }

  public void uncordon() {
    this.cordoned = false;
    this.draining = false;
    deriveStatus();
  }

  public void drain() {
    this.cordoned = true;
    this.draining = true;
    deriveStatus();
  }

  public String name() {
    return name;
  }

  public Status status() {
    return Status.valueOf(status);
  }

  public boolean reachable() {
    return reachable;
  }

  public boolean cordoned() {
    return cordoned;
  }

  public boolean draining() {
    return draining;
  }

  public String driver() {
    return driver;
  }

  public String agentVersion() {
    return agentVersion;
  }

  public List<String> capabilities() {
    return capabilities;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public String dataPlaneAddress() {
    return dataPlaneAddress;
  }

  public int cpus() {
    return cpus;
  }

  public long memoryBytes() {
    return memoryBytes;
  }

  public int guestSlots() {
    return guestSlots;
  }

  public boolean hasLoad() {
    return loadGuestsTotal != null;
  }

  public Integer loadGuestsRunning() {
    return loadGuestsRunning;
  }

  public Integer loadGuestsTotal() {
    return loadGuestsTotal;
  }

  public Long loadMemoryUsed() {
    return loadMemoryUsed;
  }

  public Long loadMemoryAvailable() {
    return loadMemoryAvailable;
  }

  public Double loadLoad1() {
    return loadLoad1;
  }

  public Integer loadPoolReady() {
    return loadPoolReady;
  }

  public Integer loadPoolTarget() {
    return loadPoolTarget;
  }

  public Double loadBootP50Ms() {
    return loadBootP50Ms;
  }

  public Double loadBootP99Ms() {
    return loadBootP99Ms;
  }

  public Instant registeredAt() {
    return registeredAt;
  }

  public Instant lastSeen() {
    return lastSeen;
  }
}
