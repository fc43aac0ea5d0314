"""Passwords, sessions, roles and permissions, audit chain, encryption."""
