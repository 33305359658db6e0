"""Surfaces inside Excel: the xlwings live adapter, the UDF wrappers and their build products, ribbon macros."""
