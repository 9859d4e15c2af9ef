package dev.mayfly.catalog.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a compiled firewall does to packets, in the real clickos runtime: the device
 * elements are replaced by pcap files (FromDump with recorded timing on simulated time,
 * ToDump), inbound frames are sent a second after the outbound ones, and the frames that come
 * out of each port are compared with what the policy says. Every frame is tagged by the last
 * byte of its source MAC address (the firewall forwards L2 frames unchanged). Skipped when
 * clickos is not built.
 */
class FirewallBehaviourTest {

  static final String UE = "10.45.0.2";

  @TempDir
  Path tmp;

  static Path clickos() {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    Path p = Path.of(base).resolve("../clickos-images/target/bin/clickos").normalize();
    return Files.isExecutable(p) ? p : null;
  }

  // ------------------------------------------------------------------ frames

  static int ip(String s) {
    String[] p = s.split("\\.");
    return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8
        | Integer.parseInt(p[3]);
  }

  static ByteBuffer ether(int tag, int type, int payload) {
    ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + payload)).order(ByteOrder.BIG_ENDIAN);
    b.put(new byte[] {2, 0, 0, 0, 0, 1}); // dst
    b.put(new byte[] {2, 0, 0, 0, 0, (byte) tag}); // src: the tag
    b.putShort((short) type);
    return b;
  }

  /** An IPv4 packet with a TCP (6), UDP (17) or ICMP echo (1) header. */
  static byte[] ipPacket(int tag, int proto, String src, int sport, String dst, int dport, int icmpType) {
    int tlen = proto == 6 ? 20 : 8;
    ByteBuffer b = ether(tag, 0x0800, 20 + tlen);
    int ipStart = b.position();
    b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tlen)).putShort((short) tag).putShort((short) 0)
        .put((byte) 64).put((byte) proto).putShort((short) 0).putInt(ip(src)).putInt(ip(dst));
    int sum = 0;
    for (int i = 0; i < 20; i += 2) {
      sum += (b.get(ipStart + i) & 0xFF) << 8 | (b.get(ipStart + i + 1) & 0xFF);
    }
    while (sum > 0xFFFF) {
      sum = (sum & 0xFFFF) + (sum >> 16);
    }
    b.putShort(ipStart + 10, (short) ~sum);
    if (proto == 6) {
      b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt(0).put((byte) 0x50)
          .put((byte) (icmpType == 1 ? 0x12 : 0x02)).putShort((short) 65535).putInt(0);
    } else if (proto == 17) {
      b.putShort((short) sport).putShort((short) dport).putShort((short) 8).putShort((short) 0);
    } else {
      b.put((byte) icmpType).put((byte) 0).putShort((short) 0).putShort((short) sport).putShort((short) 1);
    }
    return b.array();
  }

  static byte[] arp(int tag, int op, String spa, String tpa) {
    ByteBuffer b = ether(tag, 0x0806, 28);
    b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) op)
        .put(new byte[] {2, 0, 0, 0, 0, (byte) tag}).putInt(ip(spa)).put(new byte[6]).putInt(ip(tpa));
    return b.array();
  }

  static byte[] ipv6(int tag) {
    return ether(tag, 0x86DD, 40).array();
  }

  /**
   * Frame i at {@code i} ms, plus {@code gapMs} for every frame after the first. FromDump's
   * TIMING replays each file relative to its own first record, so a leading frame and a gap
   * order the files.
   */
  static void writePcap(Path f, int gapMs, List<byte[]> frames) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(h.array());
    int i = 0;
    for (byte[] fr : frames) {
      ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      long us = 1000L * (i + (i > 0 ? gapMs : 0));
      i++;
      r.putInt((int) (1 + us / 1_000_000)).putInt((int) (us % 1_000_000)).putInt(fr.length).putInt(fr.length);
      out.write(r.array());
      out.write(fr);
    }
    Files.write(f, out.toByteArray());
  }

  /** Tags (last source MAC byte) of the frames in a pcap file written by ToDump. */
  static Set<Integer> tags(Path f) throws IOException {
    Set<Integer> t = new TreeSet<>();
    if (!Files.exists(f)) {
      return t;
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f));
    b.order(b.getInt(0) == 0xa1b2c3d4 || b.getInt(0) == 0xa1b23c4d ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    b.position(24);
    while (b.remaining() >= 16) {
      b.getInt();
      b.getInt();
      int incl = b.getInt();
      b.getInt();
      byte[] fr = new byte[incl];
      b.get(fr);
      t.add(fr[11] & 0xFF);
    }
    return t;
  }

  // ------------------------------------------------------------------ scenario

  static final List<byte[]> OUTBOUND = List.of(
      ipPacket(1, 6, UE, 40000, "10.0.0.1", 80, 0), // allowed: rule 0
      ipPacket(2, 6, UE, 40001, "10.0.0.1", 81, 0), // default deny
      ipPacket(3, 6, UE, 40002, "192.168.0.1", 80, 0), // outside rule 0's network
      ipPacket(4, 1, UE, 77, "8.8.8.8", 0, 8), // ICMP echo: rule 1
      ipPacket(5, 6, "10.45.0.99", 40003, "10.0.0.1", 80, 0), // spoofed source
      arp(6, 1, UE, "10.45.0.1"), // ARP passes
      ipPacket(7, 17, UE, 5353, "10.0.0.1", 53, 0), // UDP: default deny
      ipv6(8), // not IPv4: dropped
      ipPacket(9, 17, UE, 5000, "10.9.0.1", 9999, 0)); // rule 3 denies udp to 10.9.0.0/16 before rule 4

  static final List<byte[]> INBOUND = List.of(
      ipPacket(11, 6, "10.0.0.1", 80, UE, 40000, 1), // reply to 1
      ipPacket(12, 6, "10.0.0.1", 81, UE, 40001, 1), // "reply" to denied 2
      ipPacket(13, 6, "10.0.0.9", 5555, UE, 22, 0), // rule 2: inbound ssh
      ipPacket(14, 1, "8.8.8.8", 77, UE, 0, 0), // echo reply to 4
      ipPacket(15, 6, "10.0.0.1", 80, "10.45.0.3", 40000, 1), // another subscriber's traffic
      arp(16, 2, "10.45.0.1", UE), // ARP passes
      ipPacket(17, 17, "10.0.0.1", 53, UE, 5353, 0), // UDP in: default deny
      ipPacket(18, 6, "10.0.0.66", 80, UE, 40000, 1)); // same ports as 1, other host: not a reply

  static FirewallPolicy policy(boolean stateful) {
    return new FirewallPolicy(List.of(
        new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, "10.0.0.0/8", 80, null, "web"),
        new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.ICMP, null, null, null, "ping"),
        new Rule(Action.ALLOW, Direction.INBOUND, Protocol.TCP, null, 22, null, "ssh in"),
        new Rule(Action.DENY, Direction.OUTBOUND, Protocol.UDP, "10.9.0.0/16", null, null, "first match"),
        new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.UDP, "10.9.0.0/16", 9999, null, "shadowed")),
        Action.DENY, Action.DENY, stateful);
  }

  private record Result(Set<Integer> toCore, Set<Integer> toAccess) {}

  private Result run(FirewallPolicy p) throws Exception {
    Path clickos = clickos();
    assumeTrue(clickos != null, "clickos binary not built (clickos-images/target/bin/clickos)");
    Path out = tmp.resolve("from-access.pcap");
    Path in = tmp.resolve("from-core.pcap");
    Path toCore = tmp.resolve("to-core.pcap");
    Path toAccess = tmp.resolve("to-access.pcap");
    writePcap(out, 0, OUTBOUND);
    // inbound starts with a dropped IPv6 frame, then waits a second: every outbound frame
    // (and the flow it creates) comes first
    List<byte[]> inbound = new java.util.ArrayList<>();
    inbound.add(ipv6(99));
    inbound.addAll(INBOUND);
    writePcap(in, 1000, inbound);
    String config = FirewallCompiler.compile(p, UE).clickConfig()
        .replace("FromDevice(access)", "FromDump(" + out + ", TIMING true)")
        .replace("FromDevice(core)", "FromDump(" + in + ", TIMING true, STOP true)")
        .replace("ToDevice(access)", "ToDump(" + toAccess + ")")
        .replace("ToDevice(core)", "ToDump(" + toCore + ")");
    Path cfg = tmp.resolve("fw.click");
    Files.writeString(cfg, config);
    Process proc = new ProcessBuilder(clickos.toString(), "--simtime", "-f", cfg.toString())
        .redirectErrorStream(true).start();
    boolean done = proc.waitFor(30, TimeUnit.SECONDS);
    String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    proc.destroyForcibly();
    assertThat(done).as("clickos finished: %s", log).isTrue();
    assertThat(proc.exitValue()).as("clickos exit; output:\n%s\nconfig:\n%s", log, config).isZero();
    if (Boolean.getBoolean("mayfly.keepTmp")) {
      Path keep = Files.createDirectories(Path.of("target/firewall-behaviour"));
      for (Path f : List.of(out, in, toCore, toAccess, cfg)) {
        if (Files.exists(f)) {
          Files.copy(f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return new Result(tags(toCore), tags(toAccess));
  }

  @Test
  void statefulPolicy() throws Exception {
    Result r = run(policy(true));
    assertThat(r.toCore()).containsExactly(1, 4, 6);
    assertThat(r.toAccess()).containsExactly(11, 13, 14, 16);
  }

  @Test
  void statelessPolicyDropsReplies() throws Exception {
    Result r = run(policy(false));
    assertThat(r.toCore()).containsExactly(1, 4, 6);
    assertThat(r.toAccess()).containsExactly(13, 16);
  }

  @Test
  void allowEverythingStillDropsSpoofedAndNonIp() throws Exception {
    Result r = run(new FirewallPolicy(List.of(), Action.ALLOW, Action.ALLOW, false));
    assertThat(r.toCore()).containsExactly(1, 2, 3, 4, 6, 7, 9);
    assertThat(r.toAccess()).containsExactly(11, 12, 13, 14, 16, 17, 18);
  }
}
