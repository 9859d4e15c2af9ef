package dev.mayfly.controller.catalog;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.NfDescriptor;
import dev.mayfly.api.model.NfPort;
import dev.mayfly.api.model.NfResources;
import dev.mayfly.catalog.DescriptorIssue;
import dev.mayfly.catalog.DescriptorValidator;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.instance.NfInstanceRepository;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.web.ApiProblem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Onboarding, lookup and removal of NF descriptors. */
@Service
public class CatalogService {

  private final NfDescriptorRepository repo;
  private final NfInstanceRepository instances;

  public CatalogService(NfDescriptorRepository repo, NfInstanceRepository instances) {
    this.repo = repo;
    this.instances = instances;
  }

  /** API model → the catalog model the validator checks. */
  public static dev.mayfly.catalog.NfDescriptor toCatalog(NfDescriptor d) {
    List<dev.mayfly.catalog.NfDescriptor.Port> ports = new ArrayList<>();
    if (d.getPorts() != null) {
      for (NfPort p : d.getPorts()) {
        ports.add(new dev.mayfly.catalog.NfDescriptor.Port(p == null ? null : p.getName(),
            p == null ? null : p.getDescription()));
      }
    }
    NfResources r = d.getResources();
    dev.mayfly.catalog.NfDescriptor.Resources res = r == null ? null
        : new dev.mayfly.catalog.NfDescriptor.Resources(
            r.getMemoryMiB() == null ? 0 : r.getMemoryMiB(),
            r.getCpuWeight() == null ? dev.mayfly.catalog.NfDescriptor.Resources.DEFAULT_CPU_WEIGHT : r.getCpuWeight(),
            r.getPidsMax() == null ? dev.mayfly.catalog.NfDescriptor.Resources.DEFAULT_PIDS_MAX : r.getPidsMax());
    return new dev.mayfly.catalog.NfDescriptor(d.getName(), d.getVersion(), d.getDescription(), d.getVendor(),
        ports, res, d.getClickConfig());
  }

  public static NfDescriptor fromCatalog(dev.mayfly.catalog.NfDescriptor d) {
    List<NfPort> ports = new ArrayList<>();
    for (var p : d.ports()) {
      NfPort np = new NfPort(p.name());
      np.setDescription(p.description());
      ports.add(np);
    }
    NfResources r = new NfResources(d.resources().memoryMiB());
    r.setCpuWeight(d.resources().cpuWeight());
    r.setPidsMax(d.resources().pidsMax());
    NfDescriptor out = new NfDescriptor(d.name(), d.version(), ports, r, d.clickConfig());
    out.setDescription(d.description());
    out.setVendor(d.vendor());
    return out;
  }

  @Transactional
  public NfDescriptorEntity onboard(NfDescriptor api) {
    dev.mayfly.catalog.NfDescriptor d = toCatalog(api);
    List<DescriptorIssue> issues = DescriptorValidator.validate(d);
    if (!issues.isEmpty()) {
      List<FieldError> errs = issues.stream().map(i -> ApiProblem.fieldError(i.field(), i.message())).toList();
      throw ApiProblem.invalid(errs);
    }
    if (repo.existsById(d.name())) {
      throw ApiProblem.conflict("already-exists", "network function '" + d.name() + "' is already onboarded",
          List.of(ApiProblem.fieldError("name", "already exists")));
    }
    return repo.save(toEntity(d, Instant.now()));
  }

  /** Inserts the descriptor unless one with its name exists (shipped descriptors). */
  @Transactional
  public boolean seed(dev.mayfly.catalog.NfDescriptor d) {
    if (repo.existsById(d.name())) {
      return false;
    }
    repo.save(toEntity(d, Instant.now()));
    return true;
  }

  static NfDescriptorEntity toEntity(dev.mayfly.catalog.NfDescriptor d, Instant now) {
    List<Map<String, String>> ports = new ArrayList<>();
    for (var p : d.ports()) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("name", p.name());
      if (p.description() != null) {
        m.put("description", p.description());
      }
      ports.add(m);
    }
    return new NfDescriptorEntity(d.name(), d.version(), d.description(), d.vendor(), Json.write(ports),
        d.resources().memoryMiB(), d.resources().cpuWeight(), d.resources().pidsMax(), d.clickConfig(), now);
  }

  public static NfDescriptor toApi(NfDescriptorEntity e) {
    List<NfPort> ports = new ArrayList<>();
    for (Map<?, ?> m : Json.readList(e.portsJson(), Map.class)) {
      NfPort p = new NfPort(String.valueOf(m.get("name")));
      if (m.get("description") != null) {
        p.setDescription(String.valueOf(m.get("description")));
      }
      ports.add(p);
    }
    NfResources r = new NfResources(e.memoryMiB());
    r.setCpuWeight(e.cpuWeight());
    r.setPidsMax(e.pidsMax());
    NfDescriptor d = new NfDescriptor(e.name(), e.version(), ports, r, e.clickConfig());
    d.setDescription(e.description());
    d.setVendor(e.vendor());
    d.setCreatedAt(OperationViews.time(e.createdAt()));
    return d;
  }

  /** Port names of a stored descriptor. */
  public static List<String> portNames(NfDescriptorEntity e) {
    return Json.readList(e.portsJson(), Map.class).stream().map(m -> String.valueOf(m.get("name"))).toList();
  }

  @Transactional(readOnly = true)
  public NfDescriptorEntity get(String name) {
    return repo.findById(name).orElseThrow(() -> ApiProblem.notFound("network function", name));
  }

  @Transactional(readOnly = true)
  public Page<NfDescriptorEntity> list(Pageable page) {
    return repo.findAll(page);
  }

  @Transactional
  public void delete(String name) {
    NfDescriptorEntity e = get(name);
    if (instances.existsByNfName(name)) {
      throw ApiProblem.conflict("in-use", "network function '" + name + "' is used by NF instances; delete them first",
          List.of(ApiProblem.fieldError("nfName", "in use by NF instances")));
    }
    repo.delete(e);
  }
}
