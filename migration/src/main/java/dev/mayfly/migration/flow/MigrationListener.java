package dev.mayfly.migration.flow;

/**
 * Called with a fresh snapshot at every change: before each phase or compensation starts and
 * after it ends. The controller persists it here, synchronously, so the database always knows a
 * phase may have started before its command goes out.
 *
 * <p>An exception thrown while the migration goes forward counts as a failure of the current
 * phase (the migration rolls back); during a rollback it is logged and ignored.
 */
@FunctionalInterface
public interface MigrationListener {
  void onChange(MigrationSnapshot snapshot) throws Exception;

  MigrationListener NONE = s -> {};
}
