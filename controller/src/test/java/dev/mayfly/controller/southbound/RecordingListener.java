package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Register;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test double: records every southbound callback in queues (test sources only). */
final class RecordingListener implements SouthboundListener {
  record Named<T>(String node, T value) {}

  final BlockingQueue<Named<Register>> registered = new LinkedBlockingQueue<>();
  final BlockingQueue<Named<Heartbeat>> heartbeats = new LinkedBlockingQueue<>();
  final BlockingQueue<Named<CommandResult>> results = new LinkedBlockingQueue<>();
  final BlockingQueue<Named<GuestEvent>> events = new LinkedBlockingQueue<>();
  final BlockingQueue<Named<GuestReport>> reports = new LinkedBlockingQueue<>();
  final BlockingQueue<Named<String>> disconnected = new LinkedBlockingQueue<>();

  @Override
  public void agentRegistered(String nodeName, Register register) {
    registered.add(new Named<>(nodeName, register));
  }

  @Override
  public void heartbeat(String nodeName, Heartbeat heartbeat) {
    heartbeats.add(new Named<>(nodeName, heartbeat));
  }

  @Override
  public void commandResult(String nodeName, CommandResult result) {
    results.add(new Named<>(nodeName, result));
  }

  @Override
  public void guestEvent(String nodeName, GuestEvent event) {
    events.add(new Named<>(nodeName, event));
  }

  @Override
  public void guestReport(String nodeName, GuestReport report) {
    reports.add(new Named<>(nodeName, report));
  }

  @Override
  public void agentDisconnected(String nodeName, String reason) {
    disconnected.add(new Named<>(nodeName, reason));
  }

  /** Waits for the next element (10 s cap so a broken test fails instead of hanging). */
  static <T> T next(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(10, TimeUnit.SECONDS);
    if (t == null) {
      throw new AssertionError("nothing arrived within 10 s");
    }
    return t;
  }
}
