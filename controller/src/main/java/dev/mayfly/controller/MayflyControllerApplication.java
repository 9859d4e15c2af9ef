package dev.mayfly.controller;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Mayfly controller: northbound REST API, persistence, placement, reconciliation, southbound server. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class MayflyControllerApplication {

  public static void main(String[] args) {
    SpringApplication.run(MayflyControllerApplication.class, args);
  }
}
