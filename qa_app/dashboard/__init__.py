"""The quality improvement dashboard and its exports: read-only views over rate snapshots."""
