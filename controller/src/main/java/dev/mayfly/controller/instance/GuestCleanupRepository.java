package dev.mayfly.controller.instance;

import java.time.Instant;
import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface GuestCleanupRepository extends JpaRepository<GuestCleanupEntity, String> {

  @Query("select c from GuestCleanupEntity c where c.dispatchedAt is null or c.dispatchedAt < :resendBefore")
  List<GuestCleanupEntity> due(@Param("resendBefore") Instant resendBefore);
}
