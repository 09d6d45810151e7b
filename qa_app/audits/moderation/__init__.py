"""Where a panel's auditors disagree, the chair's decision; the final grades every rate
counts."""
