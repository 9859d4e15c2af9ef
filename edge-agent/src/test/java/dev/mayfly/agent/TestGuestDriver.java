package dev.mayfly.agent;

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
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/** Test double GuestDriver (test sources only): in-memory guests, records calls. */
class TestGuestDriver implements GuestDriver, GuestDriver.Checkpointable {
  final Map<String, GuestInfo> guests = new ConcurrentHashMap<>();
  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<Optional<Shell>> shellsGiven = new CopyOnWriteArrayList<>();
  final List<Consumer<GuestEvent>> listeners = new CopyOnWriteArrayList<>();
  /** When set, boot waits on it (to test ordering / in-flight duplicates). */
  volatile CountDownLatch bootGate;

  @Override
  public String name() {
    return "test";
  }

  @Override
  public Fingerprint fingerprint() {
    return new Fingerprint(true, null, Set.of("checkpoint"), Map.of());
  }

  @Override
  public Shell prepare(ShellClass shellClass) throws GuestException {
    throw new GuestException(GuestException.Code.UNSUPPORTED, "test double has no shells");
  }

  @Override
  public GuestInfo boot(GuestSpec spec, Optional<Shell> shell) throws GuestException {
    calls.add("boot " + spec.guestId() + "@" + spec.generation());
    shellsGiven.add(shell);
    CountDownLatch g = bootGate;
    if (g != null) {
      try {
        g.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (spec.clickConfig().contains("Bogus")) {
      throw new GuestException(GuestException.Code.CONFIG_REJECTED, "config:1: unknown element class 'Bogus'");
    }
    GuestInfo info = new GuestInfo(spec.guestId(), spec.generation(), GuestState.RUNNING, 1,
        spec.nfType(), 0, Map.of("boot", 1.5, "config", 0.25), spec.labels());
    guests.put(spec.guestId(), info);
    return info;
  }

  @Override
  public void destroy(String guestId) {
    calls.add("destroy " + guestId);
    guests.remove(guestId);
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
    calls.add("recover");
    return List.of();
  }

  @Override
  public void addListener(Consumer<GuestEvent> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {}

  @Override
  public byte[] checkpoint(String guestId) throws GuestException {
    calls.add("checkpoint " + guestId);
    if (!guests.containsKey(guestId)) {
      throw new GuestException(GuestException.Code.NOT_FOUND, "no guest " + guestId);
    }
    return ("state-of-" + guestId).getBytes();
  }

  @Override
  public GuestInfo restore(GuestSpec spec, byte[] checkpoint, Optional<Shell> shell)
      throws GuestException {
    calls.add("restore " + spec.guestId() + " " + new String(checkpoint));
    return boot(spec, shell);
  }
}
