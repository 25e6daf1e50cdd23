"""What the ICD-10-CM classification knows that its page text does not say."""
