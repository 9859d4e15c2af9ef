package dev.mayfly.controller.operation;

import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface OperationRepository extends JpaRepository<OperationEntity, UUID> {

  @Query("select o from OperationEntity o where (:resourceId is null or o.resourceId = :resourceId)"
      + " and (:state is null or o.state = :state)")
  Page<OperationEntity> search(@Param("resourceId") String resourceId, @Param("state") String state, Pageable page);
}
