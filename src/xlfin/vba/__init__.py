"""VBA for the macro-enabled template, written from source without Excel.

- `ovba`: MS-OVBA 2.4.1 compression.
- `cfb`: a deterministic compound-file (MS-CFB v3) writer and a small reader.
- `project`: modules -> source-only vbaProject.bin bytes.
- `check`: parse a vbaProject.bin / .xlsm back and list structural problems.
- `xlsm`: wire vbaProject.bin and the ribbon into a saved .xlsx package.
"""

from xlfin.vba.project import VBAModule, build_vba_project, xlwings_standalone_modules

__all__ = ["VBAModule", "build_vba_project", "xlwings_standalone_modules"]
