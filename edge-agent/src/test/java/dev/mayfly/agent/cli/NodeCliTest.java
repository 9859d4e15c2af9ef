package dev.mayfly.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.sandbox.SandboxDriver;
import dev.mayfly.agent.driver.sandbox.SandboxFixture;
import dev.mayfly.agent.pool.ShellPool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  Result cli(Path sock, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    String[] full = new String[args.length + 2];
    full[0] = "--socket";
    full[1] = sock.toString();
    System.arraycopy(args, 0, full, 2, args.length);
    int code = NodeCli.run(full, new PrintStream(o), new PrintStream(e));
    return new Result(code, o.toString(), e.toString());
  }

  @Test
  void protocolAndSaveFileRoundTrip() {
    var req = CliProtocol.parseRequest(CliProtocol.request(List.of("create", "a b", "x\ny", "")));
    assertThat(req).containsExactly("create", "a b", "x\ny");
    assertThat(NodeCliServer.parsePorts("access=x:eth9,core", "br0")).extracting(p ->
        p.name() + "/" + p.bridge() + "/" + p.xconnect())
        .containsExactly("access/null/eth9", "core/br0/null");
    assertThatThrownBy(() -> NodeCliServer.parsePorts("access=zz", null))
        .hasMessageContaining("NAME=br:BRIDGE");
    var spec = SandboxFixture.spec("g1", SandboxFixture.FORWARD, 16);
    String f = SaveFile.write(spec, new byte[] {1, 2, 3, 4});
    SaveFile.Saved s = SaveFile.read(f, "x.save");
    assertThat(s.spec().guestId()).isEqualTo("g1");
    assertThat(s.spec().clickConfig()).isEqualTo(SandboxFixture.FORWARD);
    assertThat(s.checkpoint()).containsExactly(1, 2, 3, 4);
    assertThatThrownBy(() -> SaveFile.read("hello\n", "y.save"))
        .hasMessageContaining("y.save:1: not a Mayfly save file");
  }

  @Test
  void noAgentAndBadUsageGiveClearErrors() {
    Result r = cli(dir.resolve("nope.sock"), "list");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("cannot talk to the agent");
    r = cli(dir.resolve("nope.sock"), "guest", "create");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--config FILE.click is required");
    r = cli(dir.resolve("nope.sock"), "frobnicate");
    assertThat(r.code()).isEqualTo(2);
  }

  @Test
  void operatorDrivesGuestsThroughTheAgentSocket() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxDriver d = new SandboxDriver(dir.resolve("state"), SandboxFixture.options(rt));
    ShellClass cls = SandboxFixture.spec("x", SandboxFixture.FORWARD, 16).shellClass();
    ShellPool pool = new ShellPool(d, Map.of(cls, 2), 1).start();
    Path sock = dir.resolve("agent.sock");
    NodeCliServer server = new NodeCliServer(d, pool, sock).start();
    try {
      pool.awaitFull(20, TimeUnit.SECONDS);
      Path cfg = dir.resolve("fw.click");
      Files.writeString(cfg, SandboxFixture.FIREWALL);
      Result r = cli(sock, "guest", "create", "--config", cfg.toString(), "--id", "op-1");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("op-1 RUNNING");
      assertThat(cli(sock, "list").out()).contains("op-1").contains("RUNNING");
      assertThat(cli(sock, "pause", "op-1").code()).isZero();
      r = cli(sock, "pause", "op-1");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).contains("INVALID_STATE").contains("already paused");
      assertThat(cli(sock, "unpause", "op-1").code()).isZero();
      assertThat(cli(sock, "pool").out()).contains("target=2");
      Path save = dir.resolve("op-1.save");
      r = cli(sock, "save", "op-1", save.toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Files.readString(save)).startsWith(SaveFile.MAGIC);
      assertThat(d.inspect("op-1")).isEmpty();
      r = cli(sock, "restore", save.toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("op-1 RUNNING");
      r = cli(sock, "pause", "nosuch");
      assertThat(r.err()).contains("NOT_FOUND");
      Path bad = dir.resolve("bad.click");
      Files.writeString(bad, "FromDevice(access) -> Queue -> ToDevice(core);\nq :: Bogus;\n");
      r = cli(sock, "guest", "create", "--config", bad.toString(), "--id", "op-bad");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).contains("CONFIG_REJECTED").contains("config:2");
      assertThat(cli(sock, "destroy", "op-1").out()).contains("destroyed op-1");
      assertThat(cli(sock, "destroy", "op-1").out()).contains("nothing to do");
    } finally {
      server.close();
      pool.close();
      d.list().forEach(g -> {
        try {
          d.destroy(g.guestId());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      d.close();
    }
    assertThat(Files.exists(sock)).isFalse();
    assertThat(SandboxFixture.leftovers(d.trackedSlots())).isEmpty();
  }
}
