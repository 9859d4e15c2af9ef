package dev.mayfly.catalog;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The descriptors shipped with Mayfly, listed in {@code descriptors/index.txt} on the
 * class path (one file name per line). The controller onboards them on first start.
 */
public final class ShippedDescriptors {

  private ShippedDescriptors() {}

  public static List<NfDescriptor> load() {
    ClassLoader cl = ShippedDescriptors.class.getClassLoader();
    List<NfDescriptor> out = new ArrayList<>();
    try (InputStream idx = cl.getResourceAsStream("descriptors/index.txt")) {
      if (idx == null) {
        throw new IllegalStateException("descriptors/index.txt missing from the class path");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(idx, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        try (InputStream in = cl.getResourceAsStream("descriptors/" + line)) {
          if (in == null) {
            throw new IllegalStateException("descriptors/" + line + " listed in index.txt but missing");
          }
          out.add(DescriptorLoader.load(in, "descriptors/" + line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
