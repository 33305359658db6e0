"""xlfin: customer finance inside Excel, powered by Python.

Layers (each imports only downward): the engine (pure finance logic), the schema,
adapters (workbook <-> frames), and surfaces (UDFs, ribbon macros, CLI, template builder).
"""

__version__ = "0.1.0"
