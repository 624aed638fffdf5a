"""Presenter sessions: what a lecturer shows, and the audience that follows it by a join code,
kept apart from the routes."""
