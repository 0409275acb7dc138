"""Rendering: the mixer, the ambient plan, the limiter and the loudness meter."""
