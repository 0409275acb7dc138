"""The timeline: every sound of a Script placed in time, lengths solved, chapters and cues."""
