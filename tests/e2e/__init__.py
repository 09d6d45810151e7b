"""End-to-end tests: the real app served over HTTP, driven by Chromium through Playwright."""
