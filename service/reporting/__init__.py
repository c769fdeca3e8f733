"""Annual statistical reporting: indicators, reports, roll-ups, exports and the national API."""
