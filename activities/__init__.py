"""Online learning activities: activity pages, daily check-in, 心得, sign-up and attendance, study tasks, quizzes."""
