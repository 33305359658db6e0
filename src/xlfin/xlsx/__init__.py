"""The workbook file format (.xlsx/.xlsm packages): encryption, password sources, package digests."""
