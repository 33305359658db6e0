"""The .xlsx/.xlsm file format, in one package (issue #12).

- `opc`: the package — parts, content types, relationships — loaded once from bytes and written back with every part
  xlfin does not own copied byte for byte (same compressed bytes);
- `limits`: the bounds checked before anything is materialised (SPEC §12);
- `read`: cell values through python-calamine, tables and sheets from the small XML parts;
- `styles`: cell formats appended to styles.xml (existing indices keep their meaning);
- `write`: generated sheets as streamed worksheet XML with their tables, links and drawings; appended table rows;
- `charts`: the Dashboard's DrawingML chart parts;
- `atomic`: the one atomic writer of final package bytes;
- `crypto`, `password`: Excel's "Encrypt with Password" in memory, and where the password comes from (issue #17);
- `digest`: the workbook hash of the Audit sheet; `protection`: generated sheets protected without a password.
"""
