"""Inbound email: raw RFC 5322 bytes into one parsed message (`parse.parse_email`).

headers.py decodes header values, addresses, ids and MIME parameters; charsets.py turns bytes
into text whatever their label says; bodies.py walks the MIME tree for the text, the HTML and
the attachments; htmltext.py reads HTML as text; noise.py recognises auto-replies, bounces and
list mail; quoting.py folds the quoted conversation and the signature away.
"""
