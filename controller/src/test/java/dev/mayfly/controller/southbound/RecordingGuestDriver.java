package dev.mayfly.controller.southbound;

import dev.mayfly.agent.driver.Fingerprint;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestEvent;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.GuestState;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Test double: an in-memory GuestDriver that records calls (test sources only). */
final class RecordingGuestDriver implements GuestDriver, GuestDriver.Pausable {
  final Map<String, GuestInfo> guests = new ConcurrentHashMap<>();
  final AtomicInteger boots = new AtomicInteger();
  final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<Consumer<GuestEvent>> listeners = new CopyOnWriteArrayList<>();

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public Fingerprint fingerprint() {
    return new Fingerprint(true, null, Set.of("pause"), Map.of("kind", "test-double"));
  }

  @Override
  public Shell prepare(ShellClass shellClass) throws GuestException {
    throw new GuestException(GuestException.Code.UNSUPPORTED, "no shells in the test double");
  }

  @Override
  public GuestInfo boot(GuestSpec spec, Optional<Shell> shell) throws GuestException {
    calls.add("boot " + spec.guestId());
    if (spec.clickConfig().contains("Bogus")) {
      throw new GuestException(GuestException.Code.CONFIG_REJECTED, "config:1: unknown element class 'Bogus'");
    }
    boots.incrementAndGet();
    GuestInfo g = new GuestInfo(spec.guestId(), spec.generation(), GuestState.RUNNING, 4242,
        spec.nfType(), System.currentTimeMillis(), Map.of("boot", 0.5), spec.labels());
    guests.put(spec.guestId(), g);
    emit(g, GuestState.RUNNING, "booted");
    return g;
  }

  @Override
  public void destroy(String guestId) {
    calls.add("destroy " + guestId);
    GuestInfo g = guests.remove(guestId);
    if (g != null) {
      emit(g, GuestState.DESTROYED, "destroyed");
    }
  }

  @Override
  public Optional<GuestInfo> inspect(String guestId) {
    return Optional.ofNullable(guests.get(guestId));
  }

  @Override
  public List<GuestInfo> list() {
    return new ArrayList<>(guests.values());
  }

  @Override
  public List<GuestInfo> recover() {
    return List.of();
  }

  @Override
  public void addListener(Consumer<GuestEvent> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {}

  @Override
  public void pause(String guestId) throws GuestException {
    calls.add("pause " + guestId);
    transition(guestId, GuestState.PAUSED);
  }

  @Override
  public void unpause(String guestId) throws GuestException {
    calls.add("unpause " + guestId);
    transition(guestId, GuestState.RUNNING);
  }

  private void transition(String id, GuestState to) throws GuestException {
    GuestInfo g = guests.get(id);
    if (g == null) {
      throw new GuestException(GuestException.Code.NOT_FOUND, "no guest " + id);
    }
    GuestInfo n = new GuestInfo(g.guestId(), g.generation(), to, g.pid(), g.nfType(),
        g.startedAtMillis(), g.timingsMs(), g.labels());
    guests.put(id, n);
    emit(n, to, to.name().toLowerCase());
  }

  private void emit(GuestInfo g, GuestState s, String reason) {
    GuestEvent e = new GuestEvent(g.guestId(), g.generation(), s, reason, System.currentTimeMillis());
    listeners.forEach(l -> l.accept(e));
  }
}
