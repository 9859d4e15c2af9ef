package dev.mayfly.controller.node;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface EdgeNodeRepository extends JpaRepository<EdgeNodeEntity, String> {

  Page<EdgeNodeEntity> findByStatus(String status, Pageable page);

  @Lock(LockModeType.PESSIMISTIC_WRITE)
  @Query("select n from EdgeNodeEntity n where n.name = :name")
  Optional<EdgeNodeEntity> lock(@Param("name") String name);

  @Query("select n.name from EdgeNodeEntity n where n.reachable = true and n.lastSeen < :before")
  List<String> staleReachable(@Param("before") Instant before);

  @Query("select n.status, count(n) from EdgeNodeEntity n group by n.status")
  List<Object[]> countByStatus();
}
