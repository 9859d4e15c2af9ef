package dev.mayfly.migration.flow;

/** Status of one phase or compensation. */
public enum StepStatus {
  PENDING, RUNNING, SUCCEEDED, FAILED,
  /** Never run because the migration failed or was aborted before it. */
  SKIPPED
}
