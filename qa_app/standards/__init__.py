"""Practice standards: rubric and targets files loaded into typed objects, and pure grading."""
