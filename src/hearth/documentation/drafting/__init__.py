"""Note drafting: templates as data, the embedded (offline) engine, clinical language."""
