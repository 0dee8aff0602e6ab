"""Views of the outcome pages: episodes, reports, exports."""
