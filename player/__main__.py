"""`python -m player` runs the same CLI as the `practice` command."""

from player.launch import main

main()
