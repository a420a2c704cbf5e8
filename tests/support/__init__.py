"""What many test areas share: builders, clocks and waits, in one place.

An area's conftest keeps what only that area uses; anything a second area needs moves here,
so no area imports another area's conftest (tests/test_support_boundaries.py checks it).
"""
