"""Input and output checks. Each check is one module; `registry` runs the ones a policy enables."""
