package dev.mayfly.controller.config;

import dev.mayfly.controller.placement.Placer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The placement pipeline with the configured default ranker ({@code mayfly.placement.ranker}: SPREAD or BINPACK). */
@Configuration(proxyBeanMethods = false)
public class PlacementConfig {

  @Bean
  Placer placer(MayflyProperties props) {
    return Placer.standard(props.placement().ranker());
  }
}
