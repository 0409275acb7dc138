"""The `practice` command with every subcommand registered: the module the entry point loads.

Each command group lives in its own module and registers itself on the group in `app` when
imported; importing them here is what makes `practice --help` list them all.

Every module of this package imports only light modules at its top: `practice --help` and
`check` must not wait for numpy, scipy, the sound card or the voice engines. Each command
imports what it needs when it runs (tests/test_fast_start.py holds this).
"""

from __future__ import annotations

from player.cli import authoring, exporting, playing, setup
from player.cli.app import cli, main

__all__ = ["authoring", "cli", "exporting", "main", "playing", "setup"]
