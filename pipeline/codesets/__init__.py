"""Official code sets (CMS HCPCS, CDC ICD-10-CM and ICD-10-PCS releases): what a code is on a claim.

A scraped page says what a code is about; a code set says whether it may be billed, since when,
and until when. One reader per release format turns a file into `CodeSetEntry` records.
"""
