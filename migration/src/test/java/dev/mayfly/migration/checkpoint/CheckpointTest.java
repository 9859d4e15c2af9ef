package dev.mayfly.migration.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CheckpointTest {
  static final String CONFIG = "fw :: IPFilter(allow tcp dst port 80, deny all);\nFromDevice(access) -> fw -> ToDevice(core);\n";

  static Checkpoint sample(int stateBytes) {
    byte[] state = new byte[stateBytes];
    new Random(42).nextBytes(state);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("subscriber", "imsi-001010000000001");
    meta.put("flows", "1000");
    meta.put("ünïcode", "värde");
    return Checkpoint.builder("pfw-ue1", 7, "personal-firewall")
        .createdAt(Instant.parse("2026-11-26T23:00:00.123Z"))
        .flags(CheckpointHeader.FLAG_PAUSED)
        .config(CONFIG)
        .elementState(state)
        .metadata(meta)
        .section(200, new byte[] {1, 2, 3})
        .build();
  }

  @Test
  void roundTripsThroughArraysAndStreams() throws Exception {
    Checkpoint cp = sample(10_000);
    byte[] bytes = new CheckpointWriter().write(cp);
    assertThat(bytes).hasSize((int) CheckpointWriter.encodedSize(cp));
    assertThat(Arrays.copyOf(bytes, 4)).isEqualTo("MFCK".getBytes(StandardCharsets.US_ASCII));

    Checkpoint back = new CheckpointReader().read(bytes);
    assertThat(back).isEqualTo(cp);
    assertThat(back.header().guestId()).isEqualTo("pfw-ue1");
    assertThat(back.header().generation()).isEqualTo(7);
    assertThat(back.header().nfType()).isEqualTo("personal-firewall");
    assertThat(back.header().createdAt()).isEqualTo(Instant.parse("2026-11-26T23:00:00.123Z"));
    assertThat(back.header().flags()).isEqualTo(CheckpointHeader.FLAG_PAUSED);
    assertThat(back.config()).contains(CONFIG);
    assertThat(back.elementState()).get().isEqualTo(cp.elementState().orElseThrow());
    assertThat(back.metadata()).containsEntry("subscriber", "imsi-001010000000001")
        .containsEntry("flows", "1000").containsEntry("ünïcode", "värde").hasSize(3);
    assertThat(back.section(200)).get().extracting(Section::payload).isEqualTo(new byte[] {1, 2, 3});

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new CheckpointWriter().write(cp, out);
    assertThat(out.toByteArray()).isEqualTo(bytes);
  }

  @Test
  void streamReaderConsumesExactlyOneCheckpoint() throws Exception {
    byte[] a = new CheckpointWriter().write(sample(300_000));
    byte[] b = new CheckpointWriter().write(Checkpoint.builder("g2", 0, "nat").build());
    ByteArrayOutputStream cat = new ByteArrayOutputStream();
    cat.write(a);
    cat.write(b);
    InputStream in = new ByteArrayInputStream(cat.toByteArray());
    CheckpointReader r = new CheckpointReader();
    assertThat(r.read(in).header().guestId()).isEqualTo("pfw-ue1");
    Checkpoint second = r.read(in);
    assertThat(second.header().guestId()).isEqualTo("g2");
    assertThat(second.sections()).isEmpty();
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void persistablePartsSaveAndRestore() throws Exception {
    class Counter implements Persistable {
      long value;
      @Override public int sectionType() { return SectionType.ELEMENT_STATE; }
      @Override public byte[] save() { return ByteBuffer.allocate(8).putLong(value).array(); }
      @Override public void restore(byte[] s) throws CheckpointFormatException {
        if (s.length != 8) throw new CheckpointFormatException("counter", 0, "need 8 bytes, got " + s.length);
        value = ByteBuffer.wrap(s).getLong();
      }
    }
    Counter src = new Counter();
    src.value = 123456789L;
    byte[] bytes = new CheckpointWriter().write(Checkpoint.builder("g", 1, "fw").save(src).build());
    Counter dst = new Counter();
    new CheckpointReader().read(bytes).restoreInto(dst);
    assertThat(dst.value).isEqualTo(123456789L);
  }

  @Test
  void wrongMagicIsNamed() throws Exception {
    byte[] bytes = new CheckpointWriter().write(sample(10));
    bytes[0] = 'X';
    assertThatThrownBy(() -> new CheckpointReader().read(bytes))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("bad magic")
        .hasMessageContaining("offset 0");
    assertThatThrownBy(() -> new CheckpointReader().read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("bad magic");
  }

  @Test
  void wrongVersionIsNamed() throws Exception {
    byte[] bytes = new CheckpointWriter().write(sample(10));
    bytes[5] = 2;
    assertThatThrownBy(() -> new CheckpointReader().read(bytes))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("unsupported format version 2");
  }

  @Test
  void flippedPayloadByteFailsTheChecksum() throws Exception {
    byte[] bytes = new CheckpointWriter().write(sample(1000));
    bytes[bytes.length - 500] ^= 0x10;
    assertThatThrownBy(() -> new CheckpointReader().read(bytes))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("CRC32C mismatch").hasMessageContaining("trailer");
  }

  @Test
  void truncationIsCaughtOnArraysAndStreams() throws Exception {
    byte[] bytes = new CheckpointWriter().write(sample(1000));
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 100);
    assertThatThrownBy(() -> new CheckpointReader().read(cut))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> new CheckpointReader().read(new ByteArrayInputStream(cut)))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("stream ended after " + cut.length + " of the declared " + bytes.length);
    assertThatThrownBy(() -> new CheckpointReader().read(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("prefix");
  }

  @Test
  void sectionLengthBeyondTheEndNamesTheSection() throws Exception {
    Checkpoint cp = Checkpoint.builder("g", 1, "fw").config("a -> b;").elementState(new byte[64]).build();
    byte[] bytes = new CheckpointWriter().write(cp);
    // header: 16 prefix + 8 + 8 + 4 + 1 + 1 + 1 + 2 + 2 = 43; section 0 = 8 + 7; section 1 header at 58
    int lenField = 43 + 8 + 7 + 4;
    ByteBuffer.wrap(bytes).putInt(lenField, 1_000_000);
    assertThatThrownBy(() -> new CheckpointReader().read(bytes))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("section 1 (ELEMENT_STATE)")
        .hasMessageContaining("payload length 1000000");
  }

  @Test
  void sizeCapIsCheckedBeforeBuffering() throws Exception {
    byte[] bytes = new CheckpointWriter().write(sample(100_000));
    CheckpointReader small = new CheckpointReader(64 * 1024);
    assertThatThrownBy(() -> small.read(bytes))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("exceeds the size cap");
    // A stream that claims 200 MiB but carries 16 bytes: rejected by the cap, nothing buffered.
    byte[] lie = Arrays.copyOf(bytes, 16);
    ByteBuffer.wrap(lie).putLong(8, 200L * 1024 * 1024);
    assertThatThrownBy(() -> small.read(new ByteArrayInputStream(lie)))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("size cap of 65536");
    // Within the default cap it is a truncation, found without allocating 200 MiB up front.
    assertThatThrownBy(() -> new CheckpointReader().read(new ByteArrayInputStream(lie)))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> new CheckpointWriter(64 * 1024).write(sample(100_000)))
        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("exceeds the size cap");
  }

  @Test
  void invalidUtf8ConfigIsRejectedEvenWithAValidChecksum() throws Exception {
    Checkpoint cp = Checkpoint.builder("g", 1, "fw").section(SectionType.CONFIG, new byte[] {(byte) 0xC3, 0x28}).build();
    byte[] bytes = new CheckpointWriter().write(cp);
    assertThatThrownBy(() -> new CheckpointReader().read(bytes))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("section 0 (CONFIG)").hasMessageContaining("not valid UTF-8");
  }

  @Test
  void duplicateKnownSectionsAreRejected() throws Exception {
    assertThatThrownBy(() -> Checkpoint.builder("g", 1, "fw").config("a").config("b").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate section CONFIG");
  }

  @Test
  void headerFieldsAreValidated() {
    assertThatThrownBy(() -> Checkpoint.builder("", 1, "fw").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guestId");
    assertThatThrownBy(() -> Checkpoint.builder("g".repeat(256), 1, "fw").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guestId");
    assertThatThrownBy(() -> Checkpoint.builder("g", -1, "fw").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("generation");
    assertThatThrownBy(() -> new CheckpointReader(10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size cap");
  }
}
