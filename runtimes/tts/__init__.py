"""Text-to-speech runtimes (capability: speech synthesis): espeak-ng, Kokoro, Piper."""
