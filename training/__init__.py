"""Scripts that build the checks' trained artifacts from packaged corpora (not installed with the gateway)."""
