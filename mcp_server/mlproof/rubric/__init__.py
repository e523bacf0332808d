"""The six-pillar audit: check catalog as data, detectors, scoring, maturity, report."""
