"""Red-team suite for code mode: hostile programs with their exact expected outcomes.

`catalogue.py` holds the attacks on the OS layers (run with the allow-list and every Python
layer switched off by the parent); the test modules run them on each way of starting the child
(bubblewrap where usable, built-in always) and check the host afterwards.
"""
