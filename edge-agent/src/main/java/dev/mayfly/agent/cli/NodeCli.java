package dev.mayfly.agent.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mayfly-agent [--socket PATH] COMMAND ...}: the node CLI, a client of the running
 * agent's {@link NodeCliServer}. Socket: {@code --socket}, else MAYFLY_AGENT_SOCKET, else
 * {@code $MAYFLY_STATE_DIR/agent.sock}, else {@code /var/lib/mayfly-agent/agent.sock}.
 * Exit codes: 0 ok, 1 the agent refused (message on stderr), 2 bad usage, 3 no agent.
 */
public final class NodeCli {
  static final String USAGE = String.join("\n",
      "usage: mayfly-agent [--socket PATH] COMMAND",
      "  guest create --config FILE.click [--ports access,core] [--bridge BR] [--id ID]"
          + " [--memory MIB]",
      "                         ports: NAME, NAME=br:BRIDGE or NAME=x:INTERFACE (cross-connect)",
      "  list                   guests on this node",
      "  pause ID | unpause ID  freeze / thaw (unpause also resumes a checkpointed guest)",
      "  save ID FILE           checkpoint the guest into FILE, then destroy it (like xl save)",
      "  restore FILE [--id ID] boot a guest from a save file",
      "  destroy ID             kill and clean up (no-op for unknown ids)",
      "  pool                   shell pool status per shell class");

  private NodeCli() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] argv, PrintStream out, PrintStream err) {
    List<String> a = new ArrayList<>(List.of(argv));
    Path socket = null;
    if (a.size() >= 2 && a.get(0).equals("--socket")) {
      socket = Path.of(a.get(1));
      a = a.subList(2, a.size());
    }
    if (socket == null) {
      String s = System.getenv("MAYFLY_AGENT_SOCKET");
      String sd = System.getenv("MAYFLY_STATE_DIR");
      socket = s != null ? Path.of(s) : sd != null ? Path.of(sd, "agent.sock")
          : Path.of("/var/lib/mayfly-agent/agent.sock");
    }
    if (a.isEmpty() || a.get(0).equals("help") || a.get(0).equals("--help")) {
      out.println(USAGE);
      return a.isEmpty() ? 2 : 0;
    }
    List<String> req;
    String saveTo = null;
    try {
      switch (a.get(0)) {
        case "guest" -> {
          if (a.size() < 2 || !a.get(1).equals("create")) {
            throw new IllegalArgumentException("guest: expected 'guest create'");
          }
          String config = null;
          String ports = "access,core";
          String bridge = null;
          String id = "-";
          String mem = "16";
          for (int i = 2; i < a.size(); i++) {
            String o = a.get(i);
            String v = i + 1 < a.size() ? a.get(i + 1) : null;
            if (v == null) {
              throw new IllegalArgumentException(o + ": missing value");
            }
            switch (o) {
              case "--config" -> config = Files.readString(Path.of(v));
              case "--ports" -> ports = v;
              case "--bridge" -> bridge = v;
              case "--id" -> id = v;
              case "--memory" -> mem = v;
              default -> throw new IllegalArgumentException("guest create: unknown option " + o);
            }
            i++;
          }
          if (config == null) {
            throw new IllegalArgumentException("guest create: --config FILE.click is required");
          }
          // validate locally, and apply --bridge to plain port names
          String p = NodeCliServer.formatPorts(NodeCliServer.parsePorts(ports, bridge));
          req = List.of("create", id, config, p, mem);
        }
        case "list", "pool" -> req = List.of(a.get(0));
        case "pause", "unpause", "destroy" -> req = List.of(a.get(0), need(a, 1, "ID"));
        case "save" -> {
          req = List.of("save", need(a, 1, "ID"));
          saveTo = need(a, 2, "FILE");
        }
        case "restore" -> {
          String text = Files.readString(Path.of(need(a, 1, "FILE")));
          req = a.size() >= 4 && a.get(2).equals("--id") ? List.of("restore", text, a.get(3))
              : List.of("restore", text);
        }
        default -> throw new IllegalArgumentException("unknown command '" + a.get(0) + "'");
      }
    } catch (NoSuchFileException e) {
      err.println("mayfly-agent: no such file: " + e.getFile());
      return 2;
    } catch (IOException | IllegalArgumentException e) {
      err.println("mayfly-agent: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    CliProtocol.Response r;
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      var w = Channels.newOutputStream(ch);
      w.write(CliProtocol.request(req).getBytes(StandardCharsets.UTF_8));
      w.flush();
      r = CliProtocol.readResponse(new BufferedReader(new InputStreamReader(
          Channels.newInputStream(ch), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      err.println("mayfly-agent: cannot talk to the agent at " + socket + ": " + e.getMessage());
      return 3;
    }
    if (!r.ok()) {
      err.println("mayfly-agent: " + r.code() + ": " + r.message());
      return 1;
    }
    if (saveTo != null) {
      try {
        Files.writeString(Path.of(saveTo), String.join("\n", r.body()) + "\n");
      } catch (IOException e) {
        err.println("mayfly-agent: cannot write " + saveTo + ": " + e.getMessage());
        return 1;
      }
      out.println("saved " + req.get(1) + " to " + saveTo);
      return 0;
    }
    r.body().forEach(out::println);
    return 0;
  }

  private static String need(List<String> a, int i, String what) {
    if (a.size() <= i) {
      throw new IllegalArgumentException(a.get(0) + ": missing " + what);
    }
    return a.get(i);
  }
}
