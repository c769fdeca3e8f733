"""The association's profile: who it is, which university, what category, how to reach it."""
