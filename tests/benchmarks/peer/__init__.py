"""The peer in ``make bench``: what a partner would write instead of the portal, a bare
Django view (login required, one requests call to mint, a 303), measured beside it."""
