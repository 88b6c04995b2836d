"""What editors curate: columns, districts, e-books, periodicals, video series, map sites, news."""
