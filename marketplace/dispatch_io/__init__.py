"""The one translation from marketplace rows to the solver's problem types (`dispatch.problem`)."""
