"""Toxicity: profanity and insults, in the request (input) and in the answer (output, streams
sentence by sentence). The model is alt-profanity-check's (MIT), shipped inside its wheel."""
