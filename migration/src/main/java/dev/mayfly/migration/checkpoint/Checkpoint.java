package dev.mayfly.migration.checkpoint;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One guest's checkpoint: a header and an ordered list of typed sections. Immutable. Build one
 * with {@link #builder(String, long, String)}; encode with {@link CheckpointWriter}, decode with
 * {@link CheckpointReader}.
 */
public final class Checkpoint {
  private final CheckpointHeader header;
  private final List<Section> sections;

  public Checkpoint(CheckpointHeader header, List<Section> sections) {
    this.header = Objects.requireNonNull(header, "header");
    List<Section> copy = List.copyOf(sections);
    boolean[] seen = new boolean[4];
    for (Section s : copy) {
      if (SectionType.isKnown(s.type())) {
        if (seen[s.type()]) {
          throw new IllegalArgumentException("duplicate section " + s.typeName());
        }
        seen[s.type()] = true;
      }
    }
    this.sections = copy;
  }

  public static Builder builder(String guestId, long generation, String nfType) {
    return new Builder(guestId, generation, nfType);
  }

  public CheckpointHeader header() {
    return header;
  }

  public List<Section> sections() {
    return sections;
  }

  /** The first section of this type. */
  public Optional<Section> section(int type) {
    for (Section s : sections) if (s.type() == type) return Optional.of(s);
    return Optional.empty();
  }

  /** The Click configuration text (CONFIG section), if present. */
  public Optional<String> config() {
    return section(SectionType.CONFIG).map(s -> new String(s.payloadUnsafe(), StandardCharsets.UTF_8));
  }

  /** A copy of the element-state blob (ELEMENT_STATE section), if present. */
  public Optional<byte[]> elementState() {
    return section(SectionType.ELEMENT_STATE).map(Section::payload);
  }

  /** The METADATA key/values (empty if the section is absent), sorted by key. */
  public Map<String, String> metadata() {
    Optional<Section> s = section(SectionType.METADATA);
    if (s.isEmpty()) return Map.of();
    try {
      return Metadata.decode(s.get().payloadUnsafe(), "section METADATA", 0);
    } catch (CheckpointFormatException e) {
      // Sections built through the builder or read by CheckpointReader are always valid.
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Restores each part from the section of its type; a part whose section is absent is not called. */
  public void restoreInto(Persistable... parts) throws CheckpointFormatException {
    for (Persistable p : parts) {
      Optional<Section> s = section(p.sectionType());
      if (s.isPresent()) p.restore(s.get().payload());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c && c.header.equals(header) && c.sections.equals(sections);
  }

  @Override
  public int hashCode() {
    return header.hashCode() * 31 + sections.hashCode();
  }

  @Override
  public String toString() {
    return "Checkpoint[" + header + ", " + sections + "]";
  }

  /** Builds a checkpoint; sections appear in the order they were added. */
  public static final class Builder {
    private final String guestId;
    private final long generation;
    private final String nfType;
    private Instant createdAt = Instant.now();
    private int flags;
    private final List<Section> sections = new ArrayList<>();

    private Builder(String guestId, long generation, String nfType) {
      this.guestId = guestId;
      this.generation = generation;
      this.nfType = nfType;
    }

    public Builder createdAt(Instant createdAt) {
      this.createdAt = createdAt;
      return this;
    }

    public Builder flags(int flags) {
      this.flags = flags;
      return this;
    }

    public Builder config(String clickConfig) {
      return section(SectionType.CONFIG, clickConfig.getBytes(StandardCharsets.UTF_8));
    }

    public Builder elementState(byte[] blob) {
      return section(SectionType.ELEMENT_STATE, blob);
    }

    public Builder metadata(Map<String, String> metadata) {
      return section(SectionType.METADATA, Metadata.encode(new TreeMap<>(metadata)));
    }

    public Builder section(int type, byte[] payload) {
      sections.add(Section.of(type, payload));
      return this;
    }

    /** Adds one section per part, holding what {@link Persistable#save()} returns. */
    public Builder save(Persistable... parts) {
      for (Persistable p : parts) section(p.sectionType(), p.save());
      return this;
    }

    public Checkpoint build() {
      return new Checkpoint(new CheckpointHeader(guestId, generation, nfType, createdAt, flags),
          Collections.unmodifiableList(sections));
    }
  }
}
