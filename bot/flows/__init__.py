"""Flow files: their models, loading, validation, safety proof and diagrams."""
