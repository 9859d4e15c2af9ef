package dev.mayfly.controller.catalog;

import dev.mayfly.catalog.NfDescriptor;
import dev.mayfly.catalog.ShippedDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * On start, onboards every shipped descriptor (nf-catalog/src/main/resources/descriptors)
 * that is not in the catalog yet. A shipped descriptor an operator deleted comes back on
 * the next start; onboard a different name to replace one.
 */
@Component
public class CatalogSeeder implements ApplicationRunner {

  private static final Logger log = LoggerFactory.getLogger(CatalogSeeder.class);
  private final CatalogService catalog;

  public CatalogSeeder(CatalogService catalog) {
    this.catalog = catalog;
  }

  @Override
  public void run(ApplicationArguments args) {
    for (NfDescriptor d : ShippedDescriptors.load()) {
      if (catalog.seed(d)) {
        log.info("onboarded shipped network function {} {}", d.name(), d.version());
      }
    }
  }
}
