"""One run of the application, shared by the CLI and the ribbon macros: operations, the demo book and its data."""
