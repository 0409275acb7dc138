"""The script: YAML with positions, the format's schema and limits, the Script model, loading."""
