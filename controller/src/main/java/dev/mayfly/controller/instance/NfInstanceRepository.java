package dev.mayfly.controller.instance;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface NfInstanceRepository extends JpaRepository<NfInstanceEntity, UUID> {

  @Query("select i from NfInstanceEntity i where (:nf is null or i.nfName = :nf)"
      + " and (:node is null or i.nodeName = :node) and (:state is null or i.observedState = :state)")
  Page<NfInstanceEntity> search(@Param("nf") String nf, @Param("node") String node, @Param("state") String state,
      Pageable page);

  @Lock(LockModeType.PESSIMISTIC_WRITE)
  @Query("select i from NfInstanceEntity i where i.id = :id")
  Optional<NfInstanceEntity> lock(@Param("id") UUID id);

  @Lock(LockModeType.PESSIMISTIC_WRITE)
  @Query("select i from NfInstanceEntity i where i.guestId = :guestId")
  Optional<NfInstanceEntity> lockByGuestId(@Param("guestId") String guestId);

  @Lock(LockModeType.PESSIMISTIC_WRITE)
  @Query("select i from NfInstanceEntity i where i.nodeName = :node")
  List<NfInstanceEntity> lockOnNode(@Param("node") String node);

  boolean existsByNfName(String nfName);

  long countByNodeName(String nodeName);

  /** Instances whose current generation the agent has not answered, and that are due for (re)sending. */
  @Query("select i.id from NfInstanceEntity i where i.nodeName is not null and i.observedGeneration < i.generation"
      + " and (i.dispatchedGeneration < i.generation or i.dispatchedAt is null or i.dispatchedAt < :resendBefore)")
  List<UUID> due(@Param("resendBefore") Instant resendBefore);

  @Query("select i.id from NfInstanceEntity i where i.desiredState = 'RUNNING' and i.observedGeneration = i.generation"
      + " and i.observedState in ('CRASHED', 'STOPPED') and i.restarts < :maxRestarts")
  List<UUID> crashed(@Param("maxRestarts") int maxRestarts);

  /** Per node: number of instances and their memory (the controller's own bookkeeping for placement). */
  @Query("select i.nodeName, count(i), sum(i.memoryBytes) from NfInstanceEntity i where i.nodeName is not null"
      + " group by i.nodeName")
  List<Object[]> allocation();

  /** Unfinished live migrations of this guest (issue 6; the {@code migration} table). */
  @Query(value = "select count(*) from migration where guest_id = :guestId"
      + " and state not in ('SUCCEEDED', 'FAILED', 'ROLLED_BACK')", nativeQuery = true)
  long activeMigrations(@Param("guestId") String guestId);

  /**
   * Per target node: NF instances being live-migrated there (not yet moved), and their memory,
   * so placement counts them on the target while they move.
   */
  @Query(value = "select m.target_node, count(*), sum(i.memory_bytes) from migration m join nf_instance i"
      + " on i.guest_id = m.guest_id where m.kind = 'MIGRATE' and m.state not in ('SUCCEEDED', 'FAILED',"
      + " 'ROLLED_BACK') and i.node_name <> m.target_node group by m.target_node", nativeQuery = true)
  List<Object[]> migratingIn();
}
