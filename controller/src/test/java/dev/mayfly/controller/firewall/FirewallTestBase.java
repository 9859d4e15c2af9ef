package dev.mayfly.controller.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.api.SubscribersApi;
import dev.mayfly.controller.support.ApiTestBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The firewall provisioner against the recording gateway: empty tables and a registered
 * edge-a before each test, nothing left queued after it.
 */
abstract class FirewallTestBase extends ApiTestBase {

  @Autowired
  FirewallProvisioner provisioner;
  @Autowired
  FirewallSettings settings;

  SubscribersApi api;

  @BeforeEach
  void setUpFirewall() throws Exception {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
    api = new SubscribersApi(client);
    registerNode("edge-a");
  }

  @AfterEach
  void tearDownFirewall() throws Exception {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
  }
}
