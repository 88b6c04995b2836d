"""The static-site builder: CMS API → Pelican pages → a folder or an S3 bucket."""
