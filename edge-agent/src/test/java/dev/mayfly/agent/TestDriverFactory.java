package dev.mayfly.agent;

import dev.mayfly.agent.driver.DriverContext;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestDriverFactory;
import dev.mayfly.agent.driver.GuestException;

/** Registered in src/test/resources/META-INF/services (test sources only). */
public class TestDriverFactory implements GuestDriverFactory {
  static volatile DriverContext lastContext;

  @Override
  public String name() {
    return "test";
  }

  @Override
  public GuestDriver create(DriverContext context) {
    lastContext = context;
    return new TestGuestDriver();
  }

  /** A factory whose driver cannot work on this host. */
  public static class Broken implements GuestDriverFactory {
    @Override
    public String name() {
      return "broken";
    }

    @Override
    public GuestDriver create(DriverContext context) throws GuestException {
      throw new GuestException(GuestException.Code.UNSUPPORTED, "needs /dev/kvm");
    }
  }
}
