"""Okmarts: a server-rendered online mall for industrial parts."""
