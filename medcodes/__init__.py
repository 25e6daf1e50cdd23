"""medcodes: full-text search over scraped medical-code pages."""
