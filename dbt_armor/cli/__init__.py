"""Command-line interface: parses, wires, renders, and maps exceptions to exit codes."""
