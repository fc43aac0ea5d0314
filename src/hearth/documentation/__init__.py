"""Session documentation: transcripts, signals, drafting, verification, notes."""
