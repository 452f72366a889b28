import os

# Presidio's tldextract would try the network on the first e-mail address without this.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
