package dev.mayfly.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {

  @Test
  void percentilesUseNearestRank() {
    double[] s = new double[100];
    for (int i = 0; i < 100; i++) {
      s[i] = i + 1;
    }
    assertThat(BenchReport.pct(s, 50)).isEqualTo(50);
    assertThat(BenchReport.pct(s, 99)).isEqualTo(99);
    assertThat(BenchReport.pct(s, 100)).isEqualTo(100);
    assertThat(BenchReport.pct(new double[] {7}, 99)).isEqualTo(7);
    assertThat(BenchReport.pct(new double[0], 50)).isZero();
  }

  @Test
  void writesJsonAndMarkdownInTheSharedFormat(@TempDir Path dir) throws Exception {
    BenchReport r = new BenchReport("boot").param("guests", 4000);
    var pooled = r.latency("pooled_boot", "ms", new double[] {0.3, 0.4, 0.5, 2.0});
    r.value("memory_per_guest", "KiB", 610);
    var crun = r.peerLatency("crun_run", "ms", new double[] {50, 54, 60});
    r.ratio("crun_run/pooled_boot", crun, pooled);
    r.write(dir);

    String json = Files.readString(dir.resolve("boot.json"));
    assertThat(json).contains("\"bench\": \"boot\"")
        .contains("\"params\": {\"guests\": 4000}")
        .contains("{\"name\": \"pooled_boot\", \"unit\": \"ms\", \"n\": 4, \"p50\": 0.4, "
            + "\"p90\": 2, \"p99\": 2, \"max\": 2}")
        .contains("{\"name\": \"memory_per_guest\", \"unit\": \"KiB\", \"value\": 610}")
        .contains("{\"name\": \"crun_run/pooled_boot\", \"p50\": 135, \"p99\": 30}")
        .contains("\"cpus\": ");
    String md = Files.readString(dir.resolve("boot.md"));
    assertThat(md).contains("| pooled_boot | ms | 4 | 0.4 | 2 | 2 | 2 | |")
        .contains("| crun_run/pooled_boot | 135 | 30 |  |");
  }

  @Test
  void formatsNumbersCompactly() {
    assertThat(BenchReport.num(0.41)).isEqualTo("0.41");
    assertThat(BenchReport.num(131.7)).isEqualTo("131.7");
    assertThat(BenchReport.num(1200.0)).isEqualTo("1200");
    assertThat(BenchReport.num(Double.NaN)).isEqualTo("null");
  }
}
