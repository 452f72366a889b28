"""Providers: where completions come from. `base.Provider` is the seam; `fake` implements it."""
