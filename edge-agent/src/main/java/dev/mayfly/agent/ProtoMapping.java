package dev.mayfly.agent;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.GuestState;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.Port;
import java.util.ArrayList;
import java.util.List;

/** Conversions between southbound messages and driver records. */
final class ProtoMapping {
  private ProtoMapping() {}

  static GuestSpec spec(String guestId, long generation, dev.mayfly.southbound.v1.GuestSpec s) {
    List<PortSpec> ports = new ArrayList<>();
    for (Port p : s.getPortsList()) {
      ports.add(new PortSpec(p.getName(),
          p.getAttachCase() == Port.AttachCase.BRIDGE ? p.getBridge() : null,
          p.getAttachCase() == Port.AttachCase.XCONNECT ? p.getXconnect() : null,
          p.getMac().isEmpty() ? null : p.getMac()));
    }
    return new GuestSpec(guestId, generation, s.getNfType(), s.getClickConfig(), List.copyOf(ports),
        s.getMemoryBytes(), s.getCpuWeight(), s.getPidsMax(), s.getLabelsMap());
  }

  static dev.mayfly.southbound.v1.GuestState state(GuestState s) {
    if (s == null) {
      return dev.mayfly.southbound.v1.GuestState.GUEST_STATE_UNSPECIFIED;
    }
    return dev.mayfly.southbound.v1.GuestState.valueOf(s.name());
  }

  static GuestEvent event(dev.mayfly.agent.driver.GuestEvent e) {
    return GuestEvent.newBuilder()
        .setGuestId(e.guestId())
        .setGeneration(e.generation())
        .setState(state(e.state()))
        .setReason(e.reason() == null ? "" : e.reason())
        .setAtUnixMs(e.atMillis())
        .build();
  }

  static GuestEvent report(GuestInfo g, long now) {
    return GuestEvent.newBuilder()
        .setGuestId(g.guestId())
        .setGeneration(g.generation())
        .setState(state(g.state()))
        .setReason("report")
        .setAtUnixMs(now)
        .build();
  }
}
