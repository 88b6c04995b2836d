"""Question banks (题库) and questions in the Wagtail admin, and their spreadsheet import."""
