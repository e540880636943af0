"""The progress desk: who may do what (access), progress updates and the /update flow,
reminders and health — the rules, checked where they write."""
