"""Multi-agency panels for a cycle, and who audits each sampled subject."""
