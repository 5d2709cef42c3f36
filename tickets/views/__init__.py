"""The agent workspace: server-rendered pages (htmx for the parts that move)."""
