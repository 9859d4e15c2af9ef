package dev.mayfly.agent;

import dev.mayfly.agent.cli.NodeCliServer;
import dev.mayfly.agent.driver.DriverContext;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar edge-agent-0.1.0-SNAPSHOT-all.jar [options]}: runs the edge agent in the
 * foreground until SIGTERM / SIGINT. Logs go to stderr; the line {@code agent NAME READY}
 * goes to stdout after each registration. Exit codes: 2 bad options, 1 fatal start error.
 */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "mayfly-agent-logback.xml");
    }
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println(AgentConfig.usage());
        return;
      }
    }
    AgentConfig cfg;
    try {
      cfg = AgentConfig.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("mayfly-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    Logger log = LoggerFactory.getLogger(AgentMain.class);
    try {
      Files.createDirectories(cfg.stateDir());
      try {
        Files.setPosixFilePermissions(cfg.stateDir(),
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
    } catch (IOException e) {
      log.error("--state-dir: cannot create {}: {}", cfg.stateDir(), e.getMessage());
      System.exit(1);
    }
    log.info("mayfly agent {} node '{}' controller {}:{} state {} driver {}", Agent.VERSION,
        cfg.nodeName(), cfg.controllerHost(), cfg.controllerPort(), cfg.stateDir(), cfg.driver());
    Map<String, String> env = System.getenv();
    LoadedDriver driver = LoadedDriver.load(cfg.driver(),
        new DriverContext(cfg.nodeName(), cfg.stateDir(), cfg.asOptions(env)),
        AgentMain.class.getClassLoader());
    Agent agent = new Agent(cfg, driver, line -> {
      System.out.println(line);
      System.out.flush();
    });
    // the node CLI (mayfly-agent guest ..., list, pool) for an operator on this node
    NodeCliServer cli = null;
    if (driver.available()) {
      try {
        cli = new NodeCliServer(driver.driver(), driver.pool().orElse(null),
            cfg.stateDir().resolve("agent.sock")).start();
        log.info("node CLI on {}", cli.socket());
      } catch (IOException e) {
        log.warn("node CLI: cannot listen on {}: {}", cfg.stateDir().resolve("agent.sock"),
            e.getMessage());
      }
    }
    final NodeCliServer cliServer = cli;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping agent");
      if (cliServer != null) {
        cliServer.close();
      }
      agent.close();
      stopped.countDown();
    }, "agent-shutdown"));
    agent.start();
    stopped.await();
  }
}
