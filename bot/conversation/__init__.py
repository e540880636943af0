"""The conversation: `Assistant` turns a message or a button press into a transport-neutral
reply, from the one command table, in the user's language (the message catalogue)."""
