"""Messaging channels (email, later SMS), client assistant and crisis guard."""
