"""Quizzes: drawing the daily set and an activity's questions, checking answers, scores and points."""
