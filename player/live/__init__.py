"""Live play: the transport, the sound card, keys, and starting a session."""
