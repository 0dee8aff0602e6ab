"""Care between sessions: goals, homework, journal, resources and the safety plan."""
