"""The receivables ledger in a database (issue #16): DuckDB embedded, PostgreSQL through psycopg 3.

Layer 3 (beside the file format): `store` (connections), `ddl` (tables from the schema), `load` (book → ledger →
RawTable), `view` (a workbook whose input tables come from the ledger), `pushdown` (open items and ageing in SQL),
`allocate` (cash application written under locks). See docs/ledger.md.
"""
