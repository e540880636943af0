"""The briefing room: a web dashboard of progress (server-rendered HTML with inline SVG
charts, no JavaScript), its password-less sign-in, and the HTML and PDF reports that share
its look. `server.py` is the only module here that speaks HTTP (tornado, as the webhook)."""
