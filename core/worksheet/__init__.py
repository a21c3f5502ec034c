"""Eligibility worksheets: the ReportLab document, the site's keys and
certificates, PAdES signing, and verification of a signed PDF."""
