"""Prompt injection / jailbreak detection: a linear classifier over word and character n-grams,
trained from packaged corpora by `training/injection.py`; its artifact lives in `model/`."""
