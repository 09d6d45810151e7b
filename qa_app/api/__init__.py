"""The read-only JSON API under /api/v1/ for Power BI, Excel and other tools."""
