"""Transport adapters — Telegram, Slack, the console: parse an update, call the core, render.
The only place `telegram` and `slack_bolt` are imported (tests/test_architecture.py)."""
