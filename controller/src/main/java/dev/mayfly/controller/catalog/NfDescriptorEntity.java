package dev.mayfly.controller.catalog;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "nf_descriptor")
public class NfDescriptorEntity {

  @Id
  private String name;
  private String version;
  private String description;
  private String vendor;
  /** JSON array of {name, description}. */
  private String ports;
  @Column(name = "memory_mib")
  private int memoryMiB;
  @Column(name = "cpu_weight")
  private int cpuWeight;
  @Column(name = "pids_max")
  private int pidsMax;
  @Column(name = "click_config")
  private String clickConfig;
  @Column(name = "created_at")
  private Instant createdAt;

  protected NfDescriptorEntity() {}

  public NfDescriptorEntity(String name, String version, String description, String vendor, String portsJson,
      int memoryMiB, int cpuWeight, int pidsMax, String clickConfig, Instant createdAt) {
    this.name = name;
    this.version = version;
    this.description = description;
    this.vendor = vendor;
    this.ports = portsJson;
    this.memoryMiB = memoryMiB;
    this.cpuWeight = cpuWeight;
    this.pidsMax = pidsMax;
    this.clickConfig = clickConfig;
    this.createdAt = createdAt;
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String description() {
    return description;
  }

  public String vendor() {
    return vendor;
  }

  public String portsJson() {
    return ports;
  }

  public int memoryMiB() {
    return memoryMiB;
  }

  public int cpuWeight() {
    return cpuWeight;
  }

  public int pidsMax() {
    return pidsMax;
  }

  public String clickConfig() {
    return clickConfig;
  }

  public Instant createdAt() {
    return createdAt;
  }
}
