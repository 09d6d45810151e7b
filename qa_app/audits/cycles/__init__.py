"""Audit cycles, each within one academic year, and the sample of plans and advice each
one audits."""
