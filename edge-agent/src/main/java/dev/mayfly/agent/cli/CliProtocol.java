package dev.mayfly.agent.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The node CLI's wire format over the agent's unix socket, one request per connection:
 * <pre>
 *   request:  WORD WORD ...\n            (each word URL-encoded, UTF-8)
 *   response: OK\n | ERR CODE MESSAGE\n   (MESSAGE URL-encoded)
 *             body lines (a line starting with "." is sent with one more ".")
 *             .\n
 * </pre>
 * Line-based so {@code nc -U agent.sock} is enough to poke at it by hand.
 */
final class CliProtocol {
  private CliProtocol() {}

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  static String request(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (String w : words) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(enc(w));
    }
    return sb.append('\n').toString();
  }

  static List<String> parseRequest(String line) {
    List<String> out = new ArrayList<>();
    for (String w : line.trim().split(" +")) {
      if (!w.isEmpty()) {
        out.add(dec(w));
      }
    }
    return out;
  }

  static void writeResponse(Writer w, Response r) throws IOException {
    w.write(r.ok() ? "OK\n" : "ERR " + r.code() + " " + enc(r.message()) + "\n");
    for (String line : r.body()) {
      for (String l : line.split("\n", -1)) {
        w.write(l.startsWith(".") ? "." + l : l);
        w.write('\n');
      }
    }
    w.write(".\n");
    w.flush();
  }

  static Response readResponse(BufferedReader r) throws IOException {
    String head = r.readLine();
    if (head == null) {
      throw new IOException("the agent closed the connection without an answer");
    }
    List<String> body = new ArrayList<>();
    String l;
    while ((l = r.readLine()) != null && !l.equals(".")) {
      body.add(l.startsWith(".") ? l.substring(1) : l);
    }
    if (head.equals("OK")) {
      return Response.ok(body);
    }
    String[] p = head.split(" ", 3);
    if (p.length < 2 || !p[0].equals("ERR")) {
      throw new IOException("unexpected answer: " + head);
    }
    return new Response(false, p[1], p.length > 2 ? dec(p[2]) : "", body);
  }

  record Response(boolean ok, String code, String message, List<String> body) {
    static Response ok(List<String> body) {
      return new Response(true, "", "", body);
    }

    static Response err(String code, String message) {
      return new Response(false, code, message, List.of());
    }
  }
}
