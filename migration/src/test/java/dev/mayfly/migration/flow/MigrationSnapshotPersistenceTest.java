package dev.mayfly.migration.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Snapshots survive the ways a controller stores them: JSON (Jackson 3) and Java serialization. */
class MigrationSnapshotPersistenceTest {

  static List<MigrationSnapshot> snapshotsOfAFailedRun() {
    RecordingSteps steps = new RecordingSteps().failOn("moveTraffic", new IOException("netlink: no such device"));
    List<MigrationSnapshot> published = new ArrayList<>();
    new MigrationMachine(MigrationMachineTest.ctx(), steps).clock(steps.clock).listener(published::add).run();
    return published;
  }

  @Test
  void everySnapshotRoundTripsThroughJson() {
    JsonMapper json = JsonMapper.builder().build();
    for (MigrationSnapshot s : snapshotsOfAFailedRun()) {
      String text = json.writeValueAsString(s);
      assertThat(json.readValue(text, MigrationSnapshot.class)).isEqualTo(s);
    }
  }

  @Test
  void aSnapshotReadBackFromJsonResumes() {
    JsonMapper json = JsonMapper.builder().build();
    MigrationSnapshot mid = snapshotsOfAFailedRun().stream()
        .filter(s -> s.state() == MigrationState.ROLLING_BACK).findFirst().orElseThrow();
    MigrationSnapshot stored = json.readValue(json.writeValueAsString(mid), MigrationSnapshot.class);
    RecordingSteps steps = new RecordingSteps();
    MigrationSnapshot end = MigrationMachine.resume(stored, steps).clock(steps.clock).run();
    assertThat(steps.calls).containsExactly("restoreTrafficToSource", "resumeSource", "discardTarget");
    assertThat(end.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(end.error()).isEqualTo("MOVE_TRAFFIC failed: IOException: netlink: no such device");
  }

  @Test
  void snapshotsAreJavaSerializable() throws Exception {
    for (MigrationSnapshot s : snapshotsOfAFailedRun()) {
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
        out.writeObject(s);
      }
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
        assertThat(in.readObject()).isEqualTo(s);
      }
    }
  }
}
