"""gitworktree: typed, always-valid, auditable state for AI agents."""
