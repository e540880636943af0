"""Briefings for staff: the progress summary and its renderings, and the exports."""
