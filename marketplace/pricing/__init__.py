"""Quotes for work orders: price, platform fee and the technician's earnings (integer minor units)."""
