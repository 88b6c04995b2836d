"""Organisers' review of 学习心得 in the Wagtail admin: accept with points, return with a comment, publish with consent."""
