"""Images in chat requests: what `routing.images` says, and redaction before the cloud.

parts.py   where a request's images are, and writing new ones back
source.py  an image part's bytes: a `data:` URL, or a fetch from an allowed origin
decode.py  bytes -> a decoded image, within the pixel and byte limits
ocr.py     the words in an image and their boxes (Tesseract)
redact.py  OCR words -> text for the PII detector, and PII spans -> painted boxes
check.py   `ImageCheck`, the input check that puts these together
"""
