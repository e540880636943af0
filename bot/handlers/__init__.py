"""python-telegram-bot adapter: thin handlers over `bot.assistant`, wired in `app.py`."""
