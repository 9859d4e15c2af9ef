package dev.mayfly.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./mayfly bench api}: create, get and delete NF-instance records through the REST
 * API with 1, 8 and 32 concurrent clients against a running controller, and report
 * latency (p50/p90/p99/max) per operation and requests/s per concurrency level.
 *
 * <p>Usage: {@code ApiBench BASE_URL USER PASSWORD NF OUT_DIR [--quick]}. The names at 8
 * clients are the headline metrics ({@code create_instance} ...); {@code _c1} and
 * {@code _c32} suffixes give the other levels.
 */
public final class ApiBench {

  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private final String base;
  private final String auth;
  private final String nf;

  ApiBench(String base, String user, String password, String nf) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.auth = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.nf = nf;
  }

  /** Latencies of one client, in ms. */
  record Samples(List<Double> create, List<Double> get, List<Double> delete, int errors) {}

  private HttpRequest.Builder req(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", auth).header("Accept", "application/json");
  }

  private Samples client(int iterations, int clientNo) throws Exception {
    List<Double> c = new ArrayList<>();
    List<Double> g = new ArrayList<>();
    List<Double> d = new ArrayList<>();
    int errors = 0;
    for (int i = 0; i < iterations; i++) {
      String body = "{\"nf\":\"" + nf + "\",\"labels\":{\"bench\":\"api\",\"client\":\"" + clientNo
          + "\"}}";
      long t0 = System.nanoTime();
      HttpResponse<String> r = http.send(req("/nf-instances")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      long t1 = System.nanoTime();
      if (r.statusCode() / 100 != 2) {
        errors++;
        if (errors <= 3) {
          System.err.println("create: HTTP " + r.statusCode() + ": " + r.body());
        }
        continue;
      }
      c.add((t1 - t0) / 1e6);
      String id = instanceId(r);
      if (id == null) {
        errors++;
        continue;
      }
      t0 = System.nanoTime();
      r = http.send(req("/nf-instances/" + id).GET().build(), HttpResponse.BodyHandlers.ofString());
      t1 = System.nanoTime();
      if (r.statusCode() == 200) {
        g.add((t1 - t0) / 1e6);
      } else {
        errors++;
      }
      t0 = System.nanoTime();
      r = http.send(req("/nf-instances/" + id).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
      t1 = System.nanoTime();
      if (r.statusCode() / 100 == 2) {
        d.add((t1 - t0) / 1e6);
      } else {
        errors++;
      }
    }
    return new Samples(c, g, d, errors);
  }

  /** The instance id: from the operation's resource in the body, else from Location. */
  private static String instanceId(HttpResponse<String> r) {
    String body = r.body();
    int res = body.indexOf("\"resource\"");
    if (res >= 0) {
      Matcher m = ID.matcher(body.substring(res));
      if (m.find()) {
        return m.group(1);
      }
    }
    Matcher m = ID.matcher(body);
    return m.find() ? m.group(1) : null;
  }

  private static double[] toArray(List<Samples> all, int which) {
    return all.stream().flatMap(s -> (which == 0 ? s.create() : which == 1 ? s.get() : s.delete())
        .stream()).mapToDouble(Double::doubleValue).toArray();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: ApiBench BASE_URL USER PASSWORD NF OUT_DIR [--quick]");
      System.exit(2);
    }
    boolean quick = args.length > 5 && args[5].equals("--quick");
    ApiBench b = new ApiBench(args[0], args[1], args[2], args[3]);
    int totalPerLevel = quick ? 96 : 960;
    BenchReport report = new BenchReport("api");
    report.param("nf", args[3]).param("instances_per_level", totalPerLevel)
        .param("clients", "1,8,32").param("quick", quick);
    // warm-up: JIT, connection pools, database caches
    b.client(quick ? 10 : 50, 0);
    for (int clients : new int[] {1, 8, 32}) {
      int perClient = Math.max(1, totalPerLevel / clients);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<Samples>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        final int no = c;
        futures.add(pool.submit(() -> b.client(perClient, no)));
      }
      List<Samples> all = new ArrayList<>();
      for (Future<Samples> f : futures) {
        all.add(f.get());
      }
      double secs = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      int requests = all.stream().mapToInt(s -> s.create().size() + s.get().size()
          + s.delete().size()).sum();
      int errors = all.stream().mapToInt(Samples::errors).sum();
      String suffix = clients == 8 ? "" : "_c" + clients;
      report.latency("create_instance" + suffix, "ms", toArray(all, 0));
      report.latency("get_instance" + suffix, "ms", toArray(all, 1));
      report.latency("delete_instance" + suffix, "ms", toArray(all, 2));
      report.value("rps_" + clients + "_clients", "req/s", requests / secs);
      report.value("errors_" + clients + "_clients", "count", errors);
      System.err.printf("[bench api] %2d clients: %d requests in %.1f s = %.0f req/s, %d errors%n",
          clients, requests, secs, requests / secs, errors);
    }
    report.write(Path.of(args[4]));
    System.out.print(report.toMarkdown());
  }
}
