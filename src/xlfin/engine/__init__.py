"""The finance engine: pure logic over pandas/numpy and plain values (no Excel, no files)."""
