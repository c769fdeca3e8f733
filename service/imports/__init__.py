"""The import engine: read a secretariat's own spreadsheet as it is (title rows, HR headers,
footers, Excel dates, full-width digits), map its columns to a model's fields, normalise the
values and report every problem with its value, in one pass."""
