"""python-telegram-bot adapter: thin handlers over `bot.conversation.assistant`, wired in `app.py`."""
