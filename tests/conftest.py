"""Fixtures shared by every test folder live here; plain helpers are in ``support``."""

import signal

# A suite started from a background job of a non-interactive shell (`cmd &` in a script, some
# CI runners) inherits SIGINT ignored, and so would every command the tests start; the tests of
# what Ctrl-C does would then see it ignored and fail for a reason that is not the product's.
# Commands a user starts from a terminal get SIGINT delivered: the tests run them that way.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
