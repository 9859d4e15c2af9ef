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

  public void connect(String node) {
    connected.add(node);
  }

  public void disconnect(String node) {
    connected.remove(node);
  }

  public void reset() {
    connected.clear();
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
}
