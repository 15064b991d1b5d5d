"""Addresses SES accepts and addresses it does not, for every edge that takes an email address
(the orders API and the notifications consumer hold them to the same rule)."""

_LABEL_63 = "d" * 63

ACCEPTED = {
    "plain": "ada@example.com",
    "dots, plus and subdomains": "first.last+tag@mail.example.co.uk",
    "apostrophe": "o'brien@example.ie",
    "every special atext character": "!#$%&'*+/=?^_`{|}~-@example.com",
    "upper case": "ADA@EXAMPLE.COM",
    "digits and an inner hyphen in the domain": "x@a-1.c0",
    "local part of 64": "a" * 64 + "@example.com",
    "label of 63": f"ada@{_LABEL_63}.com",
    "254 in all": "a" * 64 + "@" + f"{_LABEL_63}.{_LABEL_63}.{'e' * 57}.com",
}

REFUSED = {
    "the reported one: emoji, NUL and SQL": "💥\u0000';DROP/**/TABLE--@ex\u0000ample.com",
    "NUL in the local part": "ada\u0000@example.com",
    "non-ASCII local part": "josé@example.com",
    "non-ASCII domain": "ada@exämple.com",
    "local part of 65": "a" * 65 + "@example.com",
    "255 in all": "a" * 64 + "@" + f"{_LABEL_63}.{_LABEL_63}.{'e' * 58}.com",
    "leading dot": ".ada@example.com",
    "trailing dot in the local part": "ada.@example.com",
    "two dots in a row": "a..b@example.com",
    "quoted local part": '"ada"@example.com',
    "space": "ada lovelace@example.com",
    "trailing newline": "ada@example.com\n",
    "no dot in the domain": "ada@localhost",
    "label starting with a hyphen": "ada@-example.com",
    "label ending with a hyphen": "ada@example-.com",
    "underscore in the domain": "ada@exa_mple.com",
    "empty label": "ada@example..com",
    "label of 64": f"ada@{_LABEL_63}d.com",
    "address literal": "ada@[192.0.2.1]",
    "two @": "ada@home@example.com",
    "no @": "ada.example.com",
    "no local part": "@example.com",
    "no domain": "ada@",
}

assert len(ACCEPTED["254 in all"]) == 254 and len(REFUSED["255 in all"]) == 255
