"""`python -m player` runs the same CLI as the `practice` command."""

from player.cli.launch import main

main()
