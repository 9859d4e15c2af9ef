package dev.mayfly.controller.catalog;

import org.springframework.data.jpa.repository.JpaRepository;

public interface NfDescriptorRepository extends JpaRepository<NfDescriptorEntity, String> {}
