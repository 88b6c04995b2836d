"""Settings split as in Wagtail's bakerydemo: base, dev, production, test."""
