package dev.mayfly.controller.catalog;

import dev.mayfly.api.model.NfDescriptor;
import dev.mayfly.api.model.NfDescriptorPage;
import dev.mayfly.api.server.CatalogApi;
import dev.mayfly.controller.web.Pages;
import dev.mayfly.controller.web.WebConfig;
import java.net.URI;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class CatalogController implements CatalogApi {

  private final CatalogService catalog;

  public CatalogController(CatalogService catalog) {
    this.catalog = catalog;
  }

  @Override
  public ResponseEntity<NfDescriptorPage> listNetworkFunctions(Integer page, Integer size) {
    Page<NfDescriptorEntity> p = catalog.list(Pages.of(page, size, Sort.by("name")));
    return ResponseEntity.ok(new NfDescriptorPage(p.map(CatalogService::toApi).getContent(), p.getNumber(),
        p.getSize(), p.getTotalElements()));
  }

  @Override
  public ResponseEntity<NfDescriptor> getNetworkFunction(String nfName) {
    return ResponseEntity.ok(CatalogService.toApi(catalog.get(nfName)));
  }

  @Override
  public ResponseEntity<NfDescriptor> onboardNetworkFunction(NfDescriptor nfDescriptor) {
    NfDescriptorEntity e = catalog.onboard(nfDescriptor);
    return ResponseEntity.status(HttpStatus.CREATED)
        .location(URI.create(WebConfig.API_PREFIX + "/network-functions/" + e.name()))
        .body(CatalogService.toApi(e));
  }

  @Override
  public ResponseEntity<Void> deleteNetworkFunction(String nfName) {
    catalog.delete(nfName);
    return ResponseEntity.noContent().build();
  }
}
