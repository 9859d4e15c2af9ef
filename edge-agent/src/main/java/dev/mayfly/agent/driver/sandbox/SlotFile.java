package dev.mayfly.agent.driver.sandbox;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * The driver's per-slot state file ({@code <stateDir>/slots/<slot>.state}, java Properties):
 * enough to re-adopt the guest after an agent restart (slot, pid, start time, port count,
 * guest id, generation, state) — the Nomad {@code TaskHandle.DriverState} idea. One file per
 * guest; nothing reads all of them except {@link SandboxDriver#recover()}.
 */
final class SlotFile {
  private SlotFile() {}

  static Path path(Path dir, String slot) {
    return dir.resolve(slot + ".state");
  }

  static void write(Path dir, String slot, Properties p) throws IOException {
    StringWriter w = new StringWriter();
    p.store(w, null);
    Path tmp = dir.resolve(slot + ".tmp");
    Files.writeString(tmp, w.toString(), StandardCharsets.UTF_8);
    try {
      Files.move(tmp, path(dir, slot), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, path(dir, slot), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The marker of a shell being prepared ({@code <slot>.preparing}): covers the prepare window. */
  static Path marker(Path dir, String slot) {
    return dir.resolve(slot + ".preparing");
  }

  static void mark(Path dir, String slot) throws IOException {
    Files.write(marker(dir, slot), new byte[0]);
  }

  static void unmark(Path dir, String slot) {
    try {
      Files.deleteIfExists(marker(dir, slot));
    } catch (IOException e) {
      // best effort: recovery cleans a stale marker's slot (nothing is left there)
    }
  }

  static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    return p;
  }

  static void delete(Path dir, String slot) {
    try {
      Files.deleteIfExists(path(dir, slot));
    } catch (IOException e) {
      // best effort: recover() treats a stale file as a dead guest
    }
  }
}
