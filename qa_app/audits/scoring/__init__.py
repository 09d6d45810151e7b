"""An auditor's scoring of one plan or piece of advice against one exact rubric version."""
