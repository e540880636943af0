"""The Slack adapter (slack-bolt): payloads in, core calls, Block Kit out."""
