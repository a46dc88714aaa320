"""The web console: a single page application served by the stack at /console/."""
