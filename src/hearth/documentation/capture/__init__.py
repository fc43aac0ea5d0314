"""Ambient capture: consent gate, live frames over a WebSocket, uploads, transcription jobs,
voice enrollment and audio retention."""
