package dev.mayfly.controller.support;

import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.southbound.v1.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test double of the southbound server: records every command sent to a "connected" node. */
public class RecordingGateway implements AgentGateway {

  public record Sent(String node, Command command) {}

  private final Set<String> connected = ConcurrentHashMap.newKeySet();
  private final List<Sent> sent = new CopyOnWriteArrayList<>();
  private final java.util.Map<String, java.time.Instant> since = new ConcurrentHashMap<>();

  public void connect(String node) {
    connected.add(node);
  }

  /** Connected, with its current connection registered at {@code at} (see connectedSince). */
  public void connect(String node, java.time.Instant at) {
    since.put(node, at);
    connected.add(node);
  }

  public void disconnect(String node) {
    connected.remove(node);
    since.remove(node);
  }

  public void reset() {
    connected.clear();
    since.clear();
    sent.clear();
  }

  public List<Sent> sent() {
    return new ArrayList<>(sent);
  }

  public List<Command> sentTo(String node) {
    return sent.stream().filter(s -> s.node().equals(node)).map(Sent::command).toList();
  }

  @Override
  public boolean send(String nodeName, Command command) {
    if (!connected.contains(nodeName)) {
      return false;
    }
    sent.add(new Sent(nodeName, command));
    return true;
  }

  @Override
  public boolean isConnected(String nodeName) {
    return connected.contains(nodeName);
  }

  @Override
  public Set<String> connectedNodes() {
    return Set.copyOf(connected);
  }

  @Override
  public java.time.Instant connectedSince(String nodeName) {
    return connected.contains(nodeName) ? since.get(nodeName) : null;
  }
}
